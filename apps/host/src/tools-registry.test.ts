import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { generateMinisignKeyPair } from '@osr-host/lifecycle';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './test-support/cli.js';
import { freshHome, writeRegistry } from './test-support/packages.js';

const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const keys = generateMinisignKeyPair();
const unreachablePlatform = process.platform === 'darwin' ? { min_macos: '999.0' } : { min_linux: '999.0' };

function homeWithOsaurus(osaurusVersion?: string): string {
  const home = freshHome();
  if (osaurusVersion !== undefined) {
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ osaurusVersion }));
  }
  return home;
}

describe('registry resolution', () => {
  it('skips versions that need a newer Osaurus than host.json names, and builds whose platform minimum this system does not meet', () => {
    const registry = mkdtempSync(join(tmpdir(), 'osr-registry-'));
    writeRegistry(registry, 'test.plugin', [
      { version: '1.0.0', library, keys },
      { version: '1.1.0', library, keys, entry: { requires: { osaurus_min_version: '9.0.0' } }, artifact: { min_linux: '1.0', min_macos: '1.0' } },
      { version: '1.2.0', library, keys, artifact: unreachablePlatform },
    ]);
    const installs = (home: string, ...extra: string[]) => run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home, ...extra]).stdout;

    expect(installs(homeWithOsaurus('1.5.0'))).toContain('Installed test.plugin 1.0.0');
    expect(installs(homeWithOsaurus('1.5.0'), '--version', '1.1.0')).toContain('Installed test.plugin 1.0.0');
    expect(installs(homeWithOsaurus('9.1.0'))).toContain('Installed test.plugin 1.1.0');
    expect(installs(homeWithOsaurus())).toContain('Installed test.plugin 1.1.0');

    const upgradeHome = homeWithOsaurus('1.5.0');
    expect(installs(upgradeHome)).toContain('Installed test.plugin 1.0.0');
    expect(run(['tools', 'upgrade', 'test.plugin', '--registry', registry, '--home', upgradeHome]).stdout).toBe('test.plugin is up to date.\n');

    const newerOnly = mkdtempSync(join(tmpdir(), 'osr-registry-'));
    writeRegistry(newerOnly, 'test.plugin', [{ version: '1.1.0', library, keys, entry: { requires: { osaurus_min_version: '9.0.0' } } }]);
    const none = run(['tools', 'install', 'test.plugin', '--registry', newerOnly, '--home', homeWithOsaurus('1.5.0')]);
    expect(none.code).toBe(1);
    expect(none.log).toMatch(/Resolution failed: test\.plugin has no build for \w+\/\w+ \S+ and Osaurus 1\.5\.0/);
  });
});
