import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { generateMinisignKeyPair, minisignSign } from '@osr-host/lifecycle';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli as run, startCli, startServe, stopCommands } from './test-support/cli.js';
import { logRecords } from './test-support/logs.js';
import { freshHome, packageDirectory, writeZip } from './test-support/packages.js';

const here = dirname(fileURLToPath(import.meta.url));

const lifecycleFixtures = join(here, '..', '..', '..', 'packages', 'lifecycle', 'fixtures');
const QUARANTINED = (id: string) => `Plugin quarantined after a crash during load — run osr-host tools retry ${id} to load it again, or osr-host tools remove ${id} to uninstall it.`;

/** `osr-host tools list --json` of `home`: one row per installed plugin. */
function toolsList(home: string, ...flags: string[]): unknown[] {
  const listed = run(['tools', 'list', '--json', '--home', home, ...flags]);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as unknown[];
}

describe('install, verify and load (issue 10)', () => {
  it('installs a signed plugin from a trusted publisher, loads it verified, and refuses it once tampered with', () => {
    const home = freshHome();
    const keys = generateMinisignKeyPair();
    const source = packageDirectory('test.plugin', '1.0.6', compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }));
    writeFileSync(join(source, 'libplugin.so.minisig'), minisignSign(readFileSync(join(source, 'libplugin.so')), keys));
    const keyFile = join(dirname(source), 'publisher.pub');
    writeFileSync(keyFile, keys.publicKeyText);

    const untrusted = run(['tools', 'install', source, '--home', home]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.log).toMatch(/signature/i);

    expect(run(['tools', 'trust', keyFile, '--home', home]).code).toBe(0);
    const installed = run(['tools', 'install', source, '--home', home, '--consent']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('Installed test.plugin 1.0.6');
    expect(toolsList(home)).toEqual([expect.objectContaining({ plugin_id: 'test.plugin', version: '1.0.6', abi: 6, status: 'loaded' })]);

    appendFileSync(join(home, 'Tools', 'test.plugin', '1.0.6', 'libplugin.so'), 'tampered');
    expect(toolsList(home)).toEqual([expect.objectContaining({ plugin_id: 'test.plugin', status: 'failed', message: expect.stringMatching(/checksum/i) })]);
    expect(toolsList(home, '--dev')).toEqual([expect.objectContaining({ plugin_id: 'test.plugin', status: 'loaded' })]);
  });

  it('installs from a registry (sha256 and minisign checked) and refuses a zip-slip archive, keeping the installed version', () => {
    const home = freshHome();
    const keys = generateMinisignKeyPair();
    const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
    const registry = mkdtempSync(join(tmpdir(), 'osr-registry-'));
    mkdirSync(join(registry, 'artifacts'));
    const zip = join(registry, 'artifacts', 'test.plugin-1.0.0.zip');
    writeZip(zip, { 'libplugin.so': readFileSync(library), 'libplugin.so.minisig': Buffer.from(minisignSign(readFileSync(library), keys)) });
    const writeSpec = (sha256: string) => {
      mkdirSync(join(registry, 'plugins'), { recursive: true });
      const artifact = { os: process.platform === 'darwin' ? 'macos' : 'linux', arch: process.arch === 'x64' ? 'x86_64' : 'arm64', url: pathToFileURL(zip).href, sha256, minisign: { signature: minisignSign(readFileSync(zip), keys) } };
      writeFileSync(join(registry, 'plugins', 'test.plugin.json'), JSON.stringify({ plugin_id: 'test.plugin', public_keys: { minisign: keys.publicKeyText.split('\n')[1] }, versions: [{ version: '1.0.0', artifacts: [artifact] }] }));
    };

    writeSpec('0'.repeat(64));
    const wrongChecksum = run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home]);
    expect(wrongChecksum.code).toBe(1);
    expect(wrongChecksum.log).toMatch(/Checksum mismatch/);

    writeSpec(createHash('sha256').update(readFileSync(zip)).digest('hex'));
    const installed = run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(toolsList(home)).toEqual([expect.objectContaining({ plugin_id: 'test.plugin', version: '1.0.6', status: 'loaded' })]);

    const hostile = join(mkdtempSync(join(tmpdir(), 'osr-zip-')), 'test.plugin-2.0.0.zip');
    writeZip(hostile, { 'libplugin.so': readFileSync(library), '../../../escaped.so': Buffer.from('payload') });
    const refused = run(['tools', 'install', hostile, '--home', home, '--dev']);
    expect(refused.code).toBe(1);
    expect(existsSync(join(home, 'Tools', 'escaped.so'))).toBe(false);
    expect(existsSync(join(dirname(home), 'escaped.so'))).toBe(false);
    expect(toolsList(home)).toEqual([expect.objectContaining({ plugin_id: 'test.plugin', version: '1.0.6', status: 'loaded' })]);
  });

  it('quarantines a plugin that crashes the host in init, and `tools reset` lets it try again', () => {
    const home = freshHome();
    const crashing = packageDirectory('dev.crash.init', '1.0.0', compilePlugin(join(lifecycleFixtures, 'crash_in_init.c')));
    // The installer loads a plugin to read its manifest, so this one cannot be installed: lay it out by hand.
    const refused = run(['tools', 'install', crashing, '--home', home, '--dev']);
    expect(refused.code).toBe(1);
    expect(refused.log).toMatch(/crashed \(SIGSEGV\); it cannot be installed/);
    mkdirSync(join(home, 'Tools', 'dev.crash.init', '1.0.0'), { recursive: true });
    copyFileSync(join(crashing, 'libplugin.so'), join(home, 'Tools', 'dev.crash.init', '1.0.0', 'libplugin.so'));
    const healthy = packageDirectory('test.plugin', '1.0.6', compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }));
    expect(run(['tools', 'install', healthy, '--home', home, '--dev']).code).toBe(0);

    expect(run(['tools', 'list', '--home', home, '--dev']).signal).toBe('SIGSEGV');
    expect(toolsList(home, '--dev')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ plugin_id: 'dev.crash.init', status: 'failed', message: QUARANTINED('dev.crash.init') }),
        expect.objectContaining({ plugin_id: 'test.plugin', status: 'loaded' }),
      ]),
    );

    expect(run(['tools', 'reset', '--home', home]).code).toBe(0);
    expect(run(['tools', 'list', '--home', home, '--dev']).signal).toBe('SIGSEGV');
  });

  it('catches a plugin whose host-table mirror skips the v5 slot in the ABI probe', () => {
    const home = freshHome();
    const misaligned = packageDirectory('dev.crash.mirror', '1.0.0', compilePlugin(join(lifecycleFixtures, 'skips_v5_slot.c')));
    expect(run(['tools', 'install', misaligned, '--home', home, '--dev']).code).toBe(0);
    expect(run(['tools', 'list', '--home', home, '--dev']).signal).not.toBeNull();
    expect(toolsList(home, '--dev')).toEqual([expect.objectContaining({ plugin_id: 'dev.crash.mirror', status: 'failed', message: QUARANTINED('dev.crash.mirror') })]);
  });

  it('scaffolds a C plugin that builds, installs in dev mode and answers its tool', () => {
    const home = freshHome();
    const directory = join(mkdtempSync(join(tmpdir(), 'osr-scaffold-')), 'greeter');
    const created = run(['tools', 'create', 'greeter', '--language', 'c', '--dir', directory]);
    expect(created.code, created.stderr).toBe(0);
    const make = spawnSync('make', ['-s', '-C', directory], { encoding: 'utf8' });
    expect(make.status, make.stderr).toBe(0);
    const inspected = run(['inspect', join(directory, 'build', 'libgreeter.so')]);
    expect(inspected.code, inspected.stderr).toBe(0);
    const { manifest } = JSON.parse(inspected.stdout) as { manifest: { plugin_id: string; capabilities: { tools: Array<{ id: string }> } } };
    const tool = manifest.capabilities.tools[0]!.id;
    const answer = JSON.parse(run(['invoke', join(directory, 'build', 'libgreeter.so'), tool, '{}', '--home', home]).stdout) as { ok: boolean };
    expect(answer.ok).toBe(true);

    // Installed with --dev, it is recorded as a development install: a host without --dev says so and how to load it.
    const packaged = packageDirectory('dev.example.greeter', '0.1.0', join(directory, 'build', 'libgreeter.so'));
    expect(run(['tools', 'install', packaged, '--dev', '--home', home]).code).toBe(0);
    expect(toolsList(home)).toEqual([
      expect.objectContaining({ plugin_id: 'dev.example.greeter', status: 'failed', message: expect.stringMatching(/^dev_install: .*osr-host serve --dev/) }),
    ]);
    expect(toolsList(home, '--dev')).toEqual([expect.objectContaining({ plugin_id: 'dev.example.greeter', status: 'loaded' })]);
  });
});

describe('osr-host tools dev', () => {
  afterEach(stopCommands);

  it('builds, installs and reloads on every change, and keeps the last good build when one fails', async () => {
    const home = freshHome();
    const project = join(mkdtempSync(join(tmpdir(), 'osr-dev-')), 'devplugin');
    mkdirSync(project);
    const source = join(project, 'plugin.c');
    copyFileSync(fixtureSources.testPlugin, source);
    copyFileSync(join(dirname(fixtureSources.testPlugin), '..', 'include', 'osaurus_plugin.h'), join(project, 'osaurus_plugin.h'));

    const serve = await startServe(['--dev', '--home', home]);
    const dev = startCli(['tools', 'dev', project, '--home', home]);
    const installed = /installed test\.plugin 1\.0\.6 as (\S+)/;
    const first = await dev.waitFor(installed);
    await dev.waitFor(/reloaded: .*"reloaded":\["test\.plugin"\]/);

    writeFileSync(source, `${readFileSync(source, 'utf8')}\nthis is not C;\n`);
    await dev.waitFor(/build failed; the last good build stays installed:\n[\s\S]*error/);
    expect(existsSync(first[1]!)).toBe(true);

    writeFileSync(source, readFileSync(fixtureSources.testPlugin, 'utf8'));
    const second = await dev.waitFor(installed, 2);
    expect(second[1]).not.toBe(first[1]);
    expect(existsSync(first[1]!)).toBe(false);
    await dev.waitFor(/reloaded: /, 2);
    // The second reload drained and destroyed the first build's plugin.
    await serve.waitFor(/\[test\.plugin\] destroyed/);
    expect(logRecords(serve.stderr())).toContainEqual(expect.objectContaining({ level: 'info', plugin: 'test.plugin', msg: 'destroyed' }));
  });
});

describe('agents (D8)', () => {
  it('lists, adds, chooses the default for CLI calls, and removes agents; the Default agent stays', () => {
    const home = freshHome();
    const first = run(['agents', 'list', '--home', home]).stdout;
    expect(first).toMatch(/^00000000-0000-0000-0000-000000000001 +Default +built-in Default agent$/m);
    const added = run(['agents', 'add', 'Research', '--home', home]).stdout.trim();
    expect(run(['agents', 'default', added, '--home', home]).stdout.trim()).toBe(added);
    const plugin = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
    expect(JSON.parse(run(['invoke', plugin, 'call.get_active_agent_id', '', '--raw', '--home', home]).stdout).result).toBe(added);
    expect(run(['agents', 'remove', '00000000-0000-0000-0000-000000000001', '--home', home]).code).toBe(1);
    expect(run(['agents', 'remove', added, '--home', home]).code).toBe(0);
    expect(run(['agents', 'list', '--home', home]).stdout).not.toContain(added);
  });
});

describe('hot reload through the admin endpoint', () => {
  afterEach(stopCommands);

  it('destroys each plugin once and loads it again, and refuses an unauthenticated reload', async () => {
    const home = freshHome();
    const source = packageDirectory('test.plugin', '1.0.6', compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }));
    expect(run(['tools', 'install', source, '--home', home, '--dev']).code).toBe(0);
    const served = await startServe(['--dev', '--home', home]);
    const port = served.port;
    expect((await fetch(`http://127.0.0.1:${port}/admin/reload`, { method: 'POST' })).status).toBe(401);
    const reloaded = run(['tools', 'reload', '--home', home]);
    expect(reloaded.code, reloaded.stderr).toBe(0);
    expect(JSON.parse(reloaded.stdout)).toMatchObject({ reloaded: ['test.plugin'], failures: [] });
    // The log line crosses a pipe after the HTTP answer: wait for it, then check it came once.
    await served.waitFor(/\[test\.plugin\] destroyed/);
    expect(logRecords(served.stderr()).filter((record) => record.plugin === 'test.plugin' && record.msg === 'destroyed')).toEqual([
      expect.objectContaining({ level: 'info' }),
    ]);
  });
});
