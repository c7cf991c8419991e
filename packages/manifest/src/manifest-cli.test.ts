import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MANIFEST_BYTES } from './json-input.js';
import { runManifestCli } from './manifest-cli.js';
import { fixturePath, readFixture } from './test-support/fixtures.js';

function collector() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

async function run(argv: string[], stdinText = '') {
  const stdout = collector();
  const stderr = collector();
  const status = await runManifestCli(argv, { stdin: Readable.from([Buffer.from(stdinText)]), stdout: stdout.stream, stderr: stderr.stream });
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'osr-manifest-cli-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('runManifestCli validate', () => {
  it('exits 0 and prints the normalised manifest for a valid file', async () => {
    const { status, stdout, stderr } = await run(['validate', fixturePath('routes-and-web.json')]);
    expect(status).toBe(0);
    const printed = JSON.parse(stdout);
    expect(printed.plugin_id).toBe('com.example.catalog');
    expect(printed.capabilities.routes[1].methods).toEqual(['GET', 'PUT', 'DELETE']);
    expect(stderr).toBe('');
  });

  it('reads standard input for "-"', async () => {
    const { status, stdout } = await run(['validate', '-'], readFixture('minimal.json'));
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ plugin_id: 'com.example.minimal', capabilities: {} });
  });

  it('prints notes on standard error, keeping standard output pure JSON', async () => {
    const { status, stdout, stderr } = await run(['validate', fixturePath('messaging-bot.json'), '--host-version', '0.17.0']);
    expect(status).toBe(0);
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stderr).toMatch(/^note: .*permission_policy: 'prompt'/m);
  });

  it('exits 1 with one line per problem, each starting with its path', async () => {
    const { status, stdout, stderr } = await run(['validate', fixturePath('id-collisions.json')]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      "$.capabilities.tools[1].id: Plugin com.example.tools declares a tool with an empty id. Give every tool a non-empty id.",
      "$.capabilities.tools[2].id: Plugin com.example.tools declares duplicate tool id 'search' (first at $.capabilities.tools[0]). Rename one: tool ids must be unique.",
      "$.capabilities.routes[0].id: Plugin com.example.tools declares a route with an empty id. Give every route a non-empty id.",
      "$.capabilities.routes[2].id: Plugin com.example.tools declares duplicate route id 'hook' (first at $.capabilities.routes[1]). Rename one: route ids must be unique.",
    ]);
  });

  it('checks the install id and host version when given', async () => {
    const { status, stderr } = await run(
      ['validate', '-', '--plugin-id', 'com.example.other', '--host-version', '0.16.0'],
      readFixture('messaging-bot.json'),
    );
    expect(status).toBe(1);
    const lines = stderr.split('\n').filter((line) => line.startsWith('$'));
    expect(lines).toEqual([
      "$.plugin_id: Plugin manifest declares plugin_id 'com.example.telegram' but is installed as 'com.example.other'. Reinstall the plugin under its canonical ID.",
      '$.min_osaurus: Plugin com.example.other requires Osaurus 0.17.0 or later; this host is 0.16.0. Update Osaurus to load this plugin.',
    ]);
  });

  it('keeps a problem on one line even when it quotes text with line breaks', async () => {
    const { status, stderr } = await run(['validate', '-'], '{"a":}\n');
    expect(status).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^\$: Not valid JSON: /);
  });

  it('escapes line breaks that come from the manifest itself', async () => {
    const manifest = JSON.stringify({ plugin_id: 'p', capabilities: { routes: [{ id: 'r', path: '/a\n/b?', methods: ['GET'], auth: 'none' }] } });
    const { status, stderr } = await run(['validate', '-'], manifest);
    expect(status).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([String.raw`$.capabilities.routes[0].path: Route path '/a\n/b?': Remove the "?…" or "#…" part: requests are matched on the path alone, without query or fragment.`]);
  });

  it.each<[string, string]>([
    ['not JSON', 'plugin_id = "x"'],
    ['not an object', '["plugin_id"]'],
    ['deeply nested junk', '['.repeat(100_000)],
    ['a duplicate key', '{"plugin_id":"a","plugin_id":"a","capabilities":{}}'],
    ['a NUL character', '{"plugin_id":"a\\u0000","capabilities":{}}'],
  ])('exits 1 on %s from standard input', async (_name, input) => {
    const { status, stderr } = await run(['validate', '-'], input);
    expect(status).toBe(1);
    expect(stderr).toMatch(/^\$/);
  });

  it('refuses an oversized file without reading all of it', async () => {
    const file = join(scratch, 'huge.json');
    writeFileSync(file, ' '.repeat(MAX_MANIFEST_BYTES * 3));
    const { status, stderr } = await run(['validate', file]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/^\$: The manifest is larger than 1048576 bytes/);
  });

  it('exits 1 naming the file it cannot read', async () => {
    const missing = join(scratch, 'missing.json');
    const { status, stderr } = await run(['validate', missing]);
    expect(status).toBe(1);
    expect(stderr).toContain(`cannot read ${missing}`);
  });

  it.each([[[]], [['check', 'm.json']], [['validate']], [['validate', 'a.json', 'b.json']], [['validate', 'm.json', '--strict']], [['validate', 'm.json', '--plugin-id']]])(
    'exits 2 with usage for %j',
    async (argv) => {
      const { status, stdout, stderr } = await run(argv);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^osr-manifest: .+\n\nUsage: osr-manifest validate <file\|->/);
    },
  );

  it('prints usage and exits 0 for --help', async () => {
    const { status, stdout } = await run(['--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: osr-manifest validate/);
  });
});

describe('osr-manifest bin', () => {
  it('runs as an executable with a shebang and reports through its exit status', async () => {
    const outDir = join(scratch, 'bin');
    await build({
      entry: { cli: fileURLToPath(new URL('./cli.ts', import.meta.url)) },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      config: false,
      silent: true,
      dts: false,
      noExternal: [/.*/],
    });
    const bin = join(outDir, 'cli.js');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bin).mode & 0o111).not.toBe(0);

    const valid = await promisify(execFile)(bin, ['validate', fixturePath('minimal.json')]);
    expect(JSON.parse(valid.stdout).plugin_id).toBe('com.example.minimal');

    const invalid = await promisify(execFile)(bin, ['validate', fixturePath('unknown-route-auth.json')]).catch((error) => error);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^\$\.capabilities\.routes\[0\]\.auth: /);
  });
});

