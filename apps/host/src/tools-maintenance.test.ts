import { appendFileSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { generateMinisignKeyPair, minisignSign } from '@osr-host/lifecycle';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './test-support/cli.js';
import { freshHome, packageDirectory } from './test-support/packages.js';

const library = () => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });

/** Installs `versions` of test.plugin, signed by a trusted key and consented; the last one is current. */
function installed(versions: string[]): { home: string; keyFile: string } {
  const home = freshHome();
  const keys = generateMinisignKeyPair();
  const plugin = library();
  let keyFile = '';
  for (const version of versions) {
    const source = packageDirectory('test.plugin', version, plugin);
    writeFileSync(join(source, 'libplugin.so.minisig'), minisignSign(readFileSync(join(source, 'libplugin.so')), keys));
    keyFile = join(dirname(source), 'publisher.pub');
    writeFileSync(keyFile, keys.publicKeyText);
    expect(run(['tools', 'trust', keyFile, '--home', home]).code).toBe(0);
    const result = run(['tools', 'install', source, '--home', home, '--consent']);
    expect(result.code, result.stderr).toBe(0);
  }
  return { home, keyFile };
}

describe('tools verify and tools rollback', () => {
  it('exits non-zero on a hash mismatch, a malformed or missing receipt and a dangling current; rollback goes back one installed version', () => {
    const { home } = installed(['1.0.0', '1.1.0']);
    const plugin = join(home, 'Tools', 'test.plugin');
    expect(run(['tools', 'verify', '--home', home])).toMatchObject({ code: 0, stdout: 'test.plugin 1.1.0: ok\n' });

    appendFileSync(join(plugin, '1.1.0', 'libplugin.so'), 'tampered');
    expect(run(['tools', 'verify', '--home', home])).toMatchObject({
      code: 1,
      stdout: 'test.plugin 1.1.0: checksum_mismatch: Checksum verification failed - plugin file may be corrupted or tampered with\n',
    });

    expect(run(['tools', 'rollback', 'test.plugin', '--home', home])).toMatchObject({ code: 0, stdout: expect.stringContaining('Rolled test.plugin back from 1.1.0 to 1.0.0') });
    expect(readlinkSync(join(plugin, 'current'))).toBe('1.0.0');
    expect(run(['tools', 'verify', 'test.plugin', '--home', home])).toMatchObject({ code: 0, stdout: 'test.plugin 1.0.0: ok\n' });
    expect(run(['tools', 'list', '--home', home]).stdout).toMatch(/^test\.plugin .* loaded$/m);
    const noEarlier = run(['tools', 'rollback', 'test.plugin', '--home', home]);
    expect(noEarlier.code).toBe(1);
    expect(noEarlier.log).toContain('test.plugin has no installed version before 1.0.0 to roll back to');

    const receipt = join(plugin, '1.0.0', 'receipt.json');
    const original = readFileSync(receipt, 'utf8');
    writeFileSync(receipt, '{"plugin_id":');
    expect(run(['tools', 'verify', '--home', home])).toMatchObject({ code: 1, stdout: 'test.plugin 1.0.0: receipt_invalid: Failed to parse receipt.json\n' });
    writeFileSync(receipt, original.replace('"version": "1.0.0"', '"version": "1.1.0"'));
    expect(run(['tools', 'verify', '--home', home]).stdout).toBe(
      'test.plugin 1.0.0: receipt_invalid: receipt.json does not describe this install: version is "1.1.0", expected "1.0.0"\n',
    );
    rmSync(receipt);
    expect(run(['tools', 'verify', '--home', home])).toMatchObject({ code: 1, stdout: 'test.plugin 1.0.0: receipt_missing: Missing receipt.json - plugin cannot be verified\n' });
    writeFileSync(receipt, original);

    rmSync(join(plugin, 'current'));
    symlinkSync('2.0.0', join(plugin, 'current'));
    const dangling = run(['tools', 'verify', '--home', home]);
    expect(dangling.code).toBe(1);
    expect(dangling.stdout).toContain('test.plugin 1.1.0: dangling_current: current points at 2.0.0, which is not installed; 1.1.0 loads instead.');
  });
});

describe('tools doctor', () => {
  it('says what keeps each plugin from loading and which command fixes it', () => {
    const { home, keyFile } = installed(['1.0.0']);
    expect(run(['tools', 'doctor', '--home', home])).toMatchObject({ code: 0, stdout: 'test.plugin 1.0.0: ok\n' });

    rmSync(join(home, 'config', 'trusted-keys'), { recursive: true });
    rmSync(join(home, 'Tools', 'test.plugin', '1.0.0', '.user_consent'));
    writeFileSync(join(home, 'Tools', '.quarantine'), JSON.stringify([{ id: 'test.plugin', version: '1.0.0', build: 'any' }]));

    const report = run(['tools', 'doctor', '--home', home]);
    expect(report.code).toBe(1);
    const lines = report.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => !line.startsWith('  fix: ')).map((line) => line.split(': ').slice(0, 2).join(': '))).toEqual([
      'test.plugin 1.0.0: quarantined',
      'test.plugin 1.0.0: signature_invalid',
      'test.plugin 1.0.0: consent_required',
    ]);
    expect(lines.filter((line) => line.startsWith('  fix: '))).toEqual([
      '  fix: Fix or upgrade the plugin, then run osr-host tools retry test.plugin (or tools remove test.plugin).',
      "  fix: Trust the publisher's key with osr-host tools trust <key.pub>, or reinstall the plugin from a trusted source.",
      `  fix: Review its manifest (osr-host inspect ${join(home, 'Tools', 'test.plugin', '1.0.0', 'libplugin.so')}), then run osr-host tools consent test.plugin.`,
    ]);

    expect(run(['tools', 'trust', keyFile, '--home', home]).code).toBe(0);
    expect(run(['tools', 'retry', 'test.plugin', '--home', home]).code).toBe(0);
    expect(run(['tools', 'consent', 'test.plugin', '--home', home]).code).toBe(0);
    expect(run(['tools', 'doctor', 'test.plugin', '--home', home])).toMatchObject({ code: 0, stdout: 'test.plugin 1.0.0: ok\n' });
  });
});

describe('tools doctor on a development install', () => {
  it('reports dev_install and how to load it, not a missing signature and consent', () => {
    const home = freshHome();
    expect(run(['tools', 'install', packageDirectory('test.plugin', '1.0.0', library()), '--dev', '--home', home]).code).toBe(0);
    const report = run(['tools', 'doctor', '--home', home]);
    expect(report.code).toBe(1);
    expect(report.stdout).toBe(
      'test.plugin 1.0.0: dev_install: installed with `tools install --dev` (unsigned, not approved), so it loads only in a host started with --dev (osr-host serve --dev, mcp --dev, tools list --dev).\n' +
        '  fix: Start the host with --dev, or install a signed build to load it without --dev.\n',
    );
  });
});
