import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compilePlugin } from '@osr-host/abi-struct/testing';
import { describe, expect, it } from 'vitest';
import { CrashGuard, LOADING_MARKER, QUARANTINE_FILE, quarantineMessage, scanPlugins } from './index.js';
import { temporaryDirectory } from './test-support/plugins.js';

function toolsWithPlugin(pluginId: string, version = '1.0.0'): string {
  const tools = join(temporaryDirectory(), 'Tools');
  mkdirSync(join(tools, pluginId, version), { recursive: true });
  return tools;
}

describe('CrashGuard', () => {
  it('holds the marker during a step and clears it after success or a thrown failure', async () => {
    const guard = new CrashGuard(toolsWithPlugin('dev.a'), 'b1');
    let seen = '';
    await guard.whileLoading('dev.a', async () => {
      seen = readFileSync(guard.markerPath, 'utf8');
    });
    expect(seen).toBe('dev.a');
    expect(existsSync(guard.markerPath)).toBe(false);
    await expect(guard.whileLoading('dev.a', async () => Promise.reject(new Error('Plugin initialization failed')))).rejects.toThrow('initialization');
    expect(existsSync(guard.markerPath)).toBe(false);
  });

  it('promotes a surviving marker into a stamped quarantine row, and ignores a blank one', () => {
    const tools = toolsWithPlugin('dev.a', '1.2.0');
    const guard = new CrashGuard(tools, 'b1');
    writeFileSync(guard.markerPath, '  \n');
    expect(guard.review()).toEqual({ quarantined: [], released: [], promoted: null });
    guard.markLoading('dev.a');
    expect(guard.review()).toEqual({ quarantined: [{ id: 'dev.a', version: '1.2.0', build: 'b1' }], released: [], promoted: 'dev.a' });
    expect(existsSync(guard.markerPath)).toBe(false);
    expect(JSON.parse(readFileSync(guard.quarantinePath, 'utf8'))).toEqual([{ id: 'dev.a', version: '1.2.0', build: 'b1' }]);
  });

  it('releases a row once when the plugin is upgraded, and a repeat crash quarantines with the new stamp', () => {
    const tools = toolsWithPlugin('dev.a', '1.0.0');
    const guard = new CrashGuard(tools, 'b1');
    guard.quarantine('dev.a');
    expect(guard.review().quarantined).toHaveLength(1);
    mkdirSync(join(tools, 'dev.a', '1.1.0'));
    expect(guard.review().released).toEqual([{ id: 'dev.a', version: '1.0.0', build: 'b1' }]);
    expect(guard.read()).toEqual([]);
    guard.markLoading('dev.a'); // the new version crashes too
    expect(guard.review().quarantined).toEqual([{ id: 'dev.a', version: '1.1.0', build: 'b1' }]);
  });

  it('releases a row when the host build changes or the install vanished', () => {
    const tools = toolsWithPlugin('dev.a');
    mkdirSync(join(tools, 'dev.gone', '1.0.0'), { recursive: true });
    new CrashGuard(tools, 'b1').quarantine('dev.a');
    new CrashGuard(tools, 'b1').quarantine('dev.gone');
    rmSync(join(tools, 'dev.gone'), { recursive: true });
    const review = new CrashGuard(tools, 'b2').review();
    expect(review.released.map((row) => row.id).sort()).toEqual(['dev.a', 'dev.gone']);
    expect(review.quarantined).toEqual([]);
  });

  it('decodes legacy string rows and never auto-releases them', () => {
    const tools = toolsWithPlugin('dev.a');
    writeFileSync(join(tools, QUARANTINE_FILE), '["dev.a"]');
    const guard = new CrashGuard(tools, 'another-build');
    expect(guard.review().quarantined).toEqual([{ id: 'dev.a', version: null, build: null }]);
    expect(guard.release('dev.a')).toBe(true);
    expect(guard.read()).toEqual([]);
  });

  it('reset clears both files', () => {
    const tools = toolsWithPlugin('dev.a');
    const guard = new CrashGuard(tools, 'b1');
    guard.quarantine('dev.a');
    guard.markLoading('dev.b');
    guard.reset();
    expect(existsSync(join(tools, LOADING_MARKER))).toBe(false);
    expect(existsSync(join(tools, QUARANTINE_FILE))).toBe(false);
  });
});

/**
 * The host's load sequence in a child process: marker around load, marker
 * around the ABI probe (ABI.md §8). It runs against the built packages
 * (see test-support/build-dist.ts): a plain `node` child cannot import TypeScript.
 */
const HOST_SCRIPT = `
const [library, toolsRoot, pluginId] = process.argv.slice(1);
const { NativePlugin } = await import('@osr-host/runtime');
const { CrashGuard } = await import('@osr-host/lifecycle');
const guard = new CrashGuard(toolsRoot, 'test-build');
const plugin = await guard.whileLoading(pluginId, () => NativePlugin.load(library, { pluginId }));
await guard.whileLoading(pluginId, () => plugin.configChanged('__osaurus_abi_probe__', crypto.randomUUID(), { agentId: '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' }));
await plugin.shutdown();
console.log('survived');
`;

const packageRoot = resolve(import.meta.dirname, '..');

describe('crash-loop guard with real crashing plugins', () => {
  it.each([
    ['crashes in init', 'crash_in_init.c', 'dev.crash.init'],
    ['skips the v5 slot and crashes on free_string in the ABI probe', 'skips_v5_slot.c', 'dev.crash.mirror'],
  ])('quarantines a plugin that %s on the next scan', (_, fixture, pluginId) => {
    const home = temporaryDirectory();
    const versionDir = join(home, 'Tools', pluginId, '1.0.0');
    mkdirSync(versionDir, { recursive: true });
    const library = join(versionDir, `lib${pluginId.replaceAll('.', '_')}.so`);
    writeFileSync(library, readFileSync(compilePlugin(join(packageRoot, 'fixtures', fixture))));

    const child = spawnSync(process.execPath, ['--input-type=module', '-e', HOST_SCRIPT, library, join(home, 'Tools'), pluginId], { cwd: packageRoot, encoding: 'utf8' });
    expect(child.stdout).not.toContain('survived');
    expect(child.signal ?? child.status).not.toBe(0);
    expect(readFileSync(join(home, 'Tools', LOADING_MARKER), 'utf8')).toBe(pluginId);

    const scan = scanPlugins(home, { hostBuild: 'test-build', trustedKeys: [], dev: true });
    expect(scan.promoted).toBe(pluginId);
    expect(scan.failures).toEqual([{ pluginId, library: null, reason: 'quarantined', message: quarantineMessage(pluginId) }]);
    expect(scanPlugins(home, { hostBuild: 'test-build', trustedKeys: [], dev: true }).plugins).toEqual([]);
  });

  it('lets a well-behaved plugin through both marker windows and leaves no marker', () => {
    const home = temporaryDirectory();
    const library = compilePlugin(join(packageRoot, 'fixtures', 'skips_v5_slot.c'), { defines: { CORRECT_MIRROR: true } });
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', HOST_SCRIPT, library, join(home, 'Tools'), 'dev.crash.mirror'], { cwd: packageRoot, encoding: 'utf8' });
    expect(child.stdout, child.stderr).toContain('survived');
    expect(existsSync(join(home, 'Tools', LOADING_MARKER))).toBe(false);
  });
});
