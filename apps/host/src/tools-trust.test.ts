import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { generateMinisignKeyPair, minisignSign } from '@osr-host/lifecycle';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './test-support/cli.js';
import { freshHome, packageDirectory, writeRegistry } from './test-support/packages.js';

const library = () => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const LOADED = /^test\.plugin +1\.0\.6 +6 +loaded$/m;

describe('sideload consent is opt-in', () => {
  it('installs a sideload without --consent but loads it only after tools consent', () => {
    const home = freshHome();
    const keys = generateMinisignKeyPair();
    const source = packageDirectory('test.plugin', '1.0.6', library());
    writeFileSync(join(source, 'libplugin.so.minisig'), minisignSign(readFileSync(join(source, 'libplugin.so')), keys));
    const keyFile = join(dirname(source), 'publisher.pub');
    writeFileSync(keyFile, keys.publicKeyText);
    expect(run(['tools', 'trust', keyFile, '--home', home]).code).toBe(0);

    const installed = run(['tools', 'install', source, '--home', home]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.log).toContain('Consent NOT granted for test.plugin@1.0.6: it will not load until you run osr-host tools consent test.plugin');
    expect(existsSync(join(home, 'Tools', 'test.plugin', '1.0.6', '.user_consent'))).toBe(false);
    expect(run(['tools', 'list', '--home', home]).stdout).toMatch(/^test\.plugin +\? +- +failed: consent_required: Plugin has not been approved for loading$/m);

    const consented = run(['tools', 'consent', 'test.plugin', '--home', home]);
    expect(consented.code, consented.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(home, 'Tools', 'test.plugin', '1.0.6', '.user_consent'), 'utf8'))).toMatchObject({ requirements: [] });
    expect(run(['tools', 'list', '--home', home]).stdout).toMatch(LOADED);

    const other = freshHome();
    expect(run(['tools', 'trust', keyFile, '--home', other]).code).toBe(0);
    expect(run(['tools', 'install', source, '--home', other, '--consent']).code).toBe(0);
    expect(run(['tools', 'list', '--home', other]).stdout).toMatch(LOADED);
    expect(run(['tools', 'consent', 'not.installed', '--home', other]).log).toMatch(/not\.installed is not installed/);
  });
});

describe('registry installs pin the author key', () => {
  it('refuses a release signed by a rotated key with "author key changed", trusts nothing new, and accepts it after remove and reinstall', () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'osr-registry-'));
    const original = generateMinisignKeyPair();
    const rotated = generateMinisignKeyPair();
    const plugin = library();
    writeRegistry(registry, 'test.plugin', [{ version: '1.0.6', library: plugin, keys: original }]);
    const first = run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home]);
    expect(first.code, first.stderr).toBe(0);
    const trustedBefore = readdirSync(join(home, 'config', 'trusted-keys'));

    writeRegistry(registry, 'test.plugin', [
      { version: '1.0.6', library: plugin, keys: rotated },
      { version: '1.0.7', library: plugin, keys: rotated },
    ]);
    for (const attempt of [
      ['tools', 'upgrade', 'test.plugin', '--registry', registry, '--home', home],
      ['tools', 'install', 'test.plugin', '--registry', registry, '--home', home],
    ]) {
      const refused = run(attempt);
      expect(refused.code).toBe(1);
      expect(refused.log).toContain(`Author key changed for test.plugin: it was installed with key ${original.publicKey.id}, the registry now names key ${rotated.publicKey.id}.`);
      expect(refused.log).toContain('run osr-host tools remove test.plugin and install it again');
    }
    expect(readdirSync(join(home, 'config', 'trusted-keys'))).toEqual(trustedBefore);
    expect(readdirSync(join(home, 'Tools', 'test.plugin')).sort()).toEqual(['1.0.6', 'current']);
    expect(run(['tools', 'list', '--home', home]).stdout).toMatch(LOADED);

    expect(run(['tools', 'remove', 'test.plugin', '--home', home]).code).toBe(0);
    const reinstalled = run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home]);
    expect(reinstalled.code, reinstalled.stderr).toBe(0);
    expect(reinstalled.stdout).toContain('Installed test.plugin 1.0.7');
  });
});
