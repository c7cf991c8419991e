import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileReadSlotHandler, createNet, FILE_READ_MAX_BYTES, mimeTypeForPath } from './index.js';

const ctx = { pluginId: 'com.example.reader', agentId: null };

/** file_read for a home: on the event loop (net's slot) or on a slot server's thread (the synchronous handler). */
type Reader = (home: string, requestJson: string | null) => Promise<string | null>;
const runners: Array<{ runner: string; reader: Reader }> = [
  { runner: 'event loop', reader: (home, requestJson) => createNet({ home }).fileRead(ctx, requestJson) },
  {
    runner: 'slot server',
    reader: async (home, requestJson) => createFileReadSlotHandler({ home }).serve(ctx.pluginId, 'file_read', [requestJson, null, null]),
  },
];

let root: string;
let home: string;
let artifacts: string;

/** Either answer shape of `file_read`, loosely typed for assertions. */
interface Answer {
  data: string;
  size: number;
  mime_type: string;
  error?: string;
  message?: string;
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'osr-net-file-'));
  home = path.join(root, 'home');
  artifacts = path.join(home, 'artifacts');
  mkdirSync(path.join(artifacts, 'reports'), { recursive: true });
  writeFileSync(path.join(artifacts, 'notes.txt'), 'hello artifacts');
  writeFileSync(path.join(artifacts, 'reports', 'chart.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(path.join(root, 'secret.txt'), 'outside');
  symlinkSync(path.join(root, 'secret.txt'), path.join(artifacts, 'escape.txt'));
  symlinkSync(root, path.join(artifacts, 'escape-dir'));
  symlinkSync(path.join(artifacts, 'notes.txt'), path.join(artifacts, 'alias.txt'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

// Every case holds for both: one set of rules, run with awaited or synchronous file-system calls (P194).
describe.each(runners)('file_read on the $runner', ({ runner, reader }) => {
  async function read(request: unknown, readerHome = home): Promise<Answer> {
    const raw = await reader(readerHome, typeof request === 'string' ? request : JSON.stringify(request));
    return JSON.parse(raw!);
  }

  describe('file_read: inside <home>/artifacts', () => {
    it('returns data (base64), size and mime_type, keys sorted', async () => {
      const raw = (await reader(home, JSON.stringify({ path: path.join(artifacts, 'notes.txt') })))!;
      expect(Object.keys(JSON.parse(raw))).toEqual(['data', 'mime_type', 'size']);
      expect(JSON.parse(raw)).toEqual({
        data: Buffer.from('hello artifacts').toString('base64'),
        size: 15,
        mime_type: 'text/plain',
      });
    });

    it('reads nested binary files, typed by extension', async () => {
      const answer = await read({ path: path.join(artifacts, 'reports', 'chart.png') });
      expect(answer).toMatchObject({ size: 4, mime_type: 'image/png' });
      expect(Buffer.from(answer.data, 'base64')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    });

    it('accepts `..` that stays inside, and a symlink to a file inside', async () => {
      expect((await read({ path: `${artifacts}/reports/../notes.txt` })).size).toBe(15);
      expect((await read({ path: path.join(artifacts, 'alias.txt') })).size).toBe(15);
    });

    it('follows a symlinked artifacts directory to its real place', async () => {
      const linkedHome = path.join(root, `linked-home-${runner.replace(' ', '-')}`);
      mkdirSync(linkedHome);
      symlinkSync(artifacts, path.join(linkedHome, 'artifacts'));
      const answer = await read({ path: path.join(linkedHome, 'artifacts', 'notes.txt') }, linkedHome);
      expect(answer.size).toBe(15);
    });

    it('reports a missing file inside as not_found', async () => {
      expect(await read({ path: path.join(artifacts, 'nope.txt') })).toEqual({
        error: 'not_found',
        message: 'File does not exist',
      });
    });
  });

  describe('file_read: refused paths', () => {
    const DENIED = { error: 'access_denied', message: 'File read restricted to artifact paths' };

    it('refuses `..` that climbs out', async () => {
      expect(await read({ path: `${artifacts}/../../secret.txt` })).toEqual(DENIED);
    });

    it('refuses a symlink inside that points outside (file and directory)', async () => {
      expect(await read({ path: path.join(artifacts, 'escape.txt') })).toEqual(DENIED);
      expect(await read({ path: path.join(artifacts, 'escape-dir', 'secret.txt') })).toEqual(DENIED);
    });

    it('refuses paths outside without revealing whether they exist', async () => {
      expect(await read({ path: path.join(root, 'secret.txt') })).toEqual(DENIED);
      expect(await read({ path: path.join(root, 'no-such-file') })).toEqual(DENIED);
      expect(await read({ path: '/etc/passwd' })).toEqual(DENIED);
    });

    it('refuses the artifacts directory itself and a sibling sharing its prefix', async () => {
      mkdirSync(`${artifacts}-evil`, { recursive: true });
      writeFileSync(`${artifacts}-evil/x.txt`, 'x');
      expect(await read({ path: artifacts })).toEqual(DENIED);
      expect(await read({ path: `${artifacts}-evil/x.txt` })).toEqual(DENIED);
    });

    it.each([
      ['malformed JSON', '{"path":', /not valid JSON/],
      ['missing path', {}, /Missing required field: path/],
      ['non-string path', { path: 42 }, /Missing required field: path/],
      ['a NUL byte', { path: '/tmp/artifacts/a\u0000.txt' }, /NUL byte/],
      ['a relative path', { path: 'artifacts/notes.txt' }, /must be absolute/],
    ])('answers invalid_request for %s', async (_name, request, message) => {
      const answer = await read(request);
      expect(answer.error).toBe('invalid_request');
      expect(answer.message).toMatch(message);
    });

    it('answers null for a NULL request', async () => {
      expect(await reader(home, null)).toBeNull();
    });
  });

  describe('file_read: limits and odd files', () => {
    it('refuses a file over 50 MB with file_too_large', async () => {
      const huge = path.join(artifacts, 'huge.bin');
      writeFileSync(huge, '');
      // Sparse: the size counts, no 50 MB is written to disk.
      truncateSync(huge, FILE_READ_MAX_BYTES + 1);
      expect(await read({ path: huge })).toEqual({ error: 'file_too_large', message: 'File exceeds 50MB limit' });
    });

    it('answers read_error for a directory', async () => {
      const answer = await read({ path: path.join(artifacts, 'reports') });
      expect(answer.error).toBe('read_error');
    });

    it('answers read_error for a FIFO without blocking on it', async () => {
      const fifo = path.join(artifacts, `pipe-${runner.replace(' ', '-')}`);
      execFileSync('mkfifo', [fifo]);
      const answer = await read({ path: fifo });
      expect(answer).toMatchObject({ error: 'read_error', message: expect.stringMatching(/not a regular file/) });
    });
  });
});

describe('mimeTypeForPath', () => {
  it('maps known extensions case-insensitively and defaults to octet-stream', () => {
    expect(mimeTypeForPath('/a/b/REPORT.PDF')).toBe('application/pdf');
    expect(mimeTypeForPath('/a/data.json')).toBe('application/json');
    expect(mimeTypeForPath('/a/blob')).toBe('application/octet-stream');
    expect(mimeTypeForPath('/a/font.woff2')).toBe('font/woff2');
    expect(mimeTypeForPath('/a/page.xhtml')).toBe('application/xhtml+xml');
  });
});
