import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { describe, expect, it } from 'vitest';
import { pluginLogWriter } from './log.js';
import { runCli as run } from './test-support/cli.js';
import { memoryLogger } from './test-support/logs.js';

const testPlugin = () => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const freshHome = () => mkdtempSync(join(tmpdir(), 'osr-log-'));
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ANSI = /\u001b\[[0-9;]*m/;

describe('plugin log lines', () => {
  it('keep every ABI level, trace included, under the plugin id, with a structured payload as a field', () => {
    const { logger, records } = memoryLogger();
    const write = pluginLogWriter(logger);
    for (const level of [0, 1, 2, 3, 4, 9]) write({ pluginId: 'a.plugin', level, message: `at ${level}`, payload: null });
    write({ pluginId: 'b.plugin', level: 3, message: 'low disk', payload: '{"free":1}' });
    expect(records.map(({ level, plugin, msg, payload }) => ({ level, plugin, msg, payload }))).toEqual([
      { level: 'trace', plugin: 'a.plugin', msg: 'at 0', payload: undefined },
      { level: 'debug', plugin: 'a.plugin', msg: 'at 1', payload: undefined },
      { level: 'info', plugin: 'a.plugin', msg: 'at 2', payload: undefined },
      { level: 'warn', plugin: 'a.plugin', msg: 'at 3', payload: undefined },
      { level: 'error', plugin: 'a.plugin', msg: 'at 4', payload: undefined },
      { level: 'info', plugin: 'a.plugin', msg: 'at 9', payload: undefined },
      { level: 'warn', plugin: 'b.plugin', msg: 'low disk', payload: '{"free":1}' },
    ]);
  });
});

describe('log lines', () => {
  it('with --log-format json: one JSON object per line with level, time and msg; plugin lines carry the plugin id', () => {
    const home = freshHome();
    const logged = run(['--log-format', 'json', 'invoke', testPlugin(), 'call.log_structured', 'saved\n{"rows":3}', '--raw', '--home', home]);
    expect(logged.code).toBe(0);
    const minted = run(['keys', 'mint', 'ci', '--home', home, '--log-format', 'json']);
    const lines = `${logged.stderr}${minted.stderr}`.trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const record of records) expect(record).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.stringMatching(ISO_TIME), msg: expect.any(String) }));
    expect(records).toContainEqual(expect.objectContaining({ level: 'warn', plugin: 'test.plugin', msg: 'saved', payload: '{"rows":3}' }));
    expect(records.at(-1)).toEqual({ level: 'info', time: expect.stringMatching(ISO_TIME), msg: expect.stringMatching(/^access key [0-9A-F-]{36} minted; it is shown only once\.$/) });
  });

  it('is JSON lines by default when stderr is not a terminal', () => {
    const failed = run(['inspect', join(freshHome(), 'missing.so')]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stderr)).toEqual({ level: 'error', time: expect.stringMatching(ISO_TIME), msg: expect.stringContaining('No such file') });
  });

  it('with --log-format pretty: time, level and the message a person reads, coloured only where colour is asked for', () => {
    const home = freshHome();
    const logged = run(['invoke', testPlugin(), 'call.log', 'hello there', '--raw', '--home', home, '--log-format', 'pretty']);
    expect(logged.stderr).toMatch(/^\d\d:\d\d:\d\d INFO {2}\[test\.plugin\] hello there$/m);
    expect(logged.stderr).not.toMatch(ANSI);
    const failed = run(['--log-format', 'pretty', 'tools', 'reload', '--home', home]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(`${failed.stderr.slice(0, 8)} ERROR No osr-host serve is running on ${home}; start one with osr-host serve --home ${home}.\n`);
    // On a parent command too.
    expect(run(['tools', '--log-format', 'pretty', 'reload', '--home', home]).stderr).toMatch(/^\d\d:\d\d:\d\d ERROR No osr-host serve is running/);
    expect(run(['tools', 'reload', '--home', home, '--log-format', 'pretty'], { FORCE_COLOR: '1' }).stderr).toMatch(ANSI);
    expect(run(['tools', 'reload', '--home', home, '--log-format', 'pretty'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stderr).not.toMatch(ANSI);
  });

  it("takes host.json's logFormat, which --log-format overrides", () => {
    const home = freshHome();
    mkdirSync(join(home, 'config'));
    writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ logFormat: 'pretty' }));
    expect(run(['tools', 'reload', '--home', home]).stderr).toMatch(/^\d\d:\d\d:\d\d ERROR No osr-host serve is running/);
    expect(JSON.parse(run(['tools', 'reload', '--home', home, '--log-format', 'json']).stderr)).toMatchObject({ level: 'error' });
  });

  it('refuses an unknown format with usage', () => {
    const refused = run(['agents', 'list', '--log-format', 'xml', '--home', freshHome()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("option '--log-format <format>' argument 'xml' is invalid. Allowed choices are json, pretty.");
  });
});
