import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { McpError, writeLoopbackToken } from './index.js';

describe('writeLoopbackToken', () => {
  it('writes a fresh 0600 token each time, creating the directory', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'osr-mcp-token-')), 'run', 'mcp-token');
    const first = writeLoopbackToken(file);
    const second = writeLoopbackToken(file);
    expect(second).not.toBe(first);
    expect(readFileSync(file, 'utf8')).toBe(`${second}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(file, '..'))).toEqual(['mcp-token']);
  });

  it('throws token_file_unwritable when the file cannot be replaced, leaving no temporary file behind', () => {
    const directory = mkdtempSync(join(tmpdir(), 'osr-mcp-token-'));
    mkdirSync(join(directory, 'mcp-token'));
    expect(() => writeLoopbackToken(join(directory, 'mcp-token'))).toThrow(McpError);
    expect(readdirSync(directory)).toEqual(['mcp-token']);
  });
});
