import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_SLOTS, PLUGIN_FIELDS } from '@osr-host/abi-struct';
import { parseManifest } from '@osr-host/manifest';
import { NativePlugin } from '@osr-host/runtime';
import { describe, expect, it } from 'vitest';
import { createScaffold, type ScaffoldLanguage } from './index.js';
import { temporaryDirectory } from './test-support/plugins.js';

const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';

/** Offsets of both tables as the C compiler lays them out from the header. */
function cLayout(headerDirectory: string): string[] {
  const directory = temporaryDirectory();
  const lines = [
    ...['version', ...HOST_SLOTS.map((slot) => slot.name)].map((field) => `  printf("layout host.${field} %zu\\n", offsetof(osr_host_api, ${field}));`),
    ...PLUGIN_FIELDS.map((field) => `  printf("layout plugin.${field.name} %zu\\n", offsetof(osr_plugin_api, ${field.name}));`),
    '  printf("layout host.size %zu\\n", sizeof(osr_host_api));',
    '  printf("layout plugin.size %zu\\n", sizeof(osr_plugin_api));',
  ];
  writeFileSync(join(directory, 'layout.c'), `#include <stddef.h>\n#include <stdio.h>\n#include "osaurus_plugin.h"\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`);
  execFileSync('cc', ['-I', headerDirectory, join(directory, 'layout.c'), '-o', join(directory, 'layout')]);
  return execFileSync(join(directory, 'layout'), { encoding: 'utf8' }).trim().split('\n');
}

describe.each(['c', 'rust'] as ScaffoldLanguage[])('createScaffold(%s)', (language) => {
  it('builds offline, loads, answers its tool and /health, and its manifest validates, for a hyphenated name', async () => {
    const directory = join(temporaryDirectory(), 'my-plugin');
    const scaffold = createScaffold('my-plugin', { language, directory });
    expect(scaffold.files).toContain('README.md');
    expect(scaffold.pluginId).toBe('dev.example.my-plugin');
    expect(scaffold.library).toMatch(/\/libmy_plugin\.(so|dylib)$/);
    const [command, ...args] = scaffold.build;
    execFileSync(command!, args, { cwd: directory, stdio: 'pipe' });

    const plugin = await NativePlugin.load(join(directory, scaffold.library), { pluginId: scaffold.pluginId });
    try {
      const manifest = parseManifest(plugin.manifestText, { expectedPluginId: scaffold.pluginId });
      expect(manifest.ok, JSON.stringify(manifest)).toBe(true);
      expect(parseManifest(readFileSync(join(directory, 'osaurus-plugin.json'), 'utf8')).ok).toBe(true);
      expect(JSON.parse(await plugin.invokeTool('hello', '{"name":"Ada"}', { agentId: AGENT }))).toEqual({ ok: true, result: { greeting: 'Hello, Ada!' } });
      const request = JSON.stringify({ route_id: 'health', method: 'GET', path: '/health', query: {}, headers: {}, body: '', plugin_id: scaffold.pluginId });
      const outcome = await plugin.handleRoute(request, { agentId: AGENT });
      expect(outcome.kind).toBe('returned');
      const response = JSON.parse((outcome as { text: string }).text);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
    } finally {
      await plugin.shutdown();
    }
  });

  it('keeps the manifest once: an edit of osaurus-plugin.json is what the rebuilt plugin reports', async () => {
    const directory = join(temporaryDirectory(), 'notes');
    const scaffold = createScaffold('notes', { language, directory });
    const manifestFile = join(directory, 'osaurus-plugin.json');
    const edited = { ...JSON.parse(readFileSync(manifestFile, 'utf8')), description: 'Keeps "quoted" notes \\ with a backslash.' };
    writeFileSync(manifestFile, `${JSON.stringify(edited, null, 2)}\n`);
    const [command, ...args] = scaffold.build;
    execFileSync(command!, args, { cwd: directory, stdio: 'pipe' });
    const plugin = await NativePlugin.load(join(directory, scaffold.library), { pluginId: scaffold.pluginId });
    try {
      expect(JSON.parse(plugin.manifestText)).toEqual(edited);
    } finally {
      await plugin.shutdown();
    }
    expect(readFileSync(join(directory, 'README.md'), 'utf8')).toContain(`/plugins/${scaffold.pluginId}/health?osr_agent=`);
  });

  it('refuses a non-empty directory and a name that cannot name a library', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'keep.txt'), '');
    expect(() => createScaffold('weather', { language, directory })).toThrow(/is not empty/);
    expect(() => createScaffold('Weather-App', { language, directory: join(directory, 'x') })).toThrow(/must start with a lower-case letter/);
  });
});

describe('Rust scaffold ABI mirror', () => {
  it('has the same layout as the C header, field by field', () => {
    const c = temporaryDirectory();
    createScaffold('layout_c', { language: 'c', directory: c });
    const expected = cLayout(join(c, 'include'));

    const rust = join(temporaryDirectory(), 'layout_rs');
    createScaffold('layout_rs', { language: 'rust', directory: rust });
    const output = execFileSync('cargo', ['test', '--offline', '--quiet', '--', '--nocapture'], { cwd: rust, encoding: 'utf8', stdio: 'pipe' });
    const actual = output.split('\n').filter((line) => line.startsWith('layout '));
    expect(actual.sort()).toEqual([...expected].sort());
    expect(expected).toContain('layout host.free_string 192');
  });
});
