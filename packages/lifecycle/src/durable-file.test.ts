import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileDurably } from './index.js';
import { temporaryDirectory } from './test-support/plugins.js';

describe('writeFileDurably', () => {
  it('replaces a file whole, mode 0644, and leaves only that file in its directory', () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'host.json');
    writeFileSync(file, 'old');
    writeFileDurably(file, '{"new":true}\n');
    writeFileDurably(join(directory, 'bytes.bin'), new Uint8Array([1, 2, 3]).subarray(1));
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}\n');
    expect([...readFileSync(join(directory, 'bytes.bin'))]).toEqual([2, 3]);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(directory).sort()).toEqual(['bytes.bin', 'host.json']);
  });

  it('throws when the file cannot be replaced and leaves no temporary file behind', () => {
    const directory = temporaryDirectory();
    mkdirSync(join(directory, 'occupied'));
    expect(() => writeFileDurably(join(directory, 'occupied'), 'text')).toThrow();
    expect(readdirSync(directory)).toEqual(['occupied']);
  });
});
