import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './test-support/cli.js';

/** A home whose config/host.json holds `content` (a string as is, anything else as JSON). */
function homeWithHostJson(content: unknown): { home: string; file: string } {
  const home = mkdtempSync(join(tmpdir(), 'osr-host-json-'));
  mkdirSync(join(home, 'config'));
  const file = join(home, 'config', 'host.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { home, file };
}

/** Runs a command on the home; a wrong host.json must stop it with exit 2 and one error naming the file. */
function refusedWith(content: unknown): string {
  const { home, file } = homeWithHostJson(content);
  const result = run(['agents', 'list', '--home', home]);
  expect(result).toMatchObject({ code: 2, stdout: '' });
  expect(result.logs).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringContaining(`${file} is not valid`) })]);
  return result.logs[0]!.msg;
}

describe('host.json', () => {
  it('refuses a wrong type, naming the key, what it takes and what it got', () => {
    expect(refusedWith({ pluginMemoryLimitMb: 'lots' })).toContain('"pluginMemoryLimitMb" must be a number, not a string');
    expect(refusedWith({ isolate: 'yes' })).toContain('"isolate" must be a boolean or an array, not a string');
    expect(refusedWith({ isolate: ['ok', 3] })).toContain('"isolate.1" must be a string, not a number');
    expect(refusedWith({ logFormat: 'xml' })).toContain('"logFormat" must be one of "json", "pretty"');
    expect(refusedWith({ defaultAgent: 'research' })).toContain('"defaultAgent" must be an agent UUID (see osr-host agents list)');
  });

  it('refuses an unknown key and says what to do', () => {
    const message = refusedWith({ isolat: true });
    expect(message).toContain('unknown key "isolat" (remove it or correct its spelling)');
    expect(message).toContain('its keys are $schema, isolate, defaultAgent, osaurusVersion, exposedModels, pluginMemoryLimitMb, logFormat');
  });

  it('refuses a file that is not JSON, or not an object', () => {
    expect(refusedWith('{"isolate": tru')).toMatch(/is not valid JSON \(.*\); fix it or remove it\.$/);
    expect(refusedWith([])).toContain('the file must be an object, not an array');
  });

  it('accepts a file with every key, and its $schema for editors', () => {
    const { home } = homeWithHostJson({
      $schema: 'https://example.invalid/host.schema.json',
      isolate: ['dev.osr.hello'],
      osaurusVersion: '1.2.3',
      exposedModels: ['tiny'],
      pluginMemoryLimitMb: 512,
      logFormat: 'json',
    });
    const listed = run(['agents', 'list', '--home', home]);
    expect(listed.code, listed.stderr).toBe(0);
    const added = run(['agents', 'add', 'Research', '--home', home]).stdout.trim();
    expect(run(['agents', 'default', added, '--home', home]).code).toBe(0);
    expect(run(['agents', 'list', '--home', home])).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^${added} +Research +default for CLI and MCP$`, 'm')) });
  });
});
