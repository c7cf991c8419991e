import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REDACTED_JSON_DEPTH, scrubBody } from './bodies.js';
import type { ActivityStoreOptions } from './store.js';
import { hostCall, tempStore } from './test-support/store.js';

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

function open(options: ActivityStoreOptions = {}) {
  const opened = tempStore(options);
  disposers.push(opened.dispose);
  return opened;
}

/** JSON holding credentials beside arrays nested `depth` deep. */
function credentialsBesideNesting(depth: number): string {
  return `{"password":"hunter2-secret","api_key":"sk-secret-key","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

const SECRETS = /hunter2-secret|sk-secret-key/;

describe('Insights rows from hostile host calls', () => {
  it('keeps every other row of the batch, and counts per plugin what it could not store', () => {
    let now = Date.UTC(2026, 0, 1);
    const { store } = open({ now: () => now });
    store.record(hostCall({ pluginId: 'other.plugin', slot: 'log', intArg: 2, args: ['before'] }));
    store.record(hostCall({ pluginId: 'bad.plugin', slot: 'log_structured', intArg: 2, args: ['deep payload', credentialsBesideNesting(1_500)] }));
    store.record(hostCall({ pluginId: 'bad.plugin', slot: 'db_exec', args: ['SELECT ?', credentialsBesideNesting(100_000)], response: '{"changes":0}' }));
    store.record(hostCall({ pluginId: 'other.plugin', slot: 'log', intArg: 2, args: ['after'] }));
    expect(store.flush()).toBe(4);

    const rows = store.query().rows.reverse();
    expect(rows.map((row) => [row.pluginId, row.slot])).toEqual([
      ['other.plugin', 'log'],
      ['bad.plugin', 'log_structured'],
      ['bad.plugin', 'db_exec'],
      ['other.plugin', 'log'],
    ]);
    expect(rows[1]).toMatchObject({ path: '[INFO] deep payload', payload: null, requestBody: expect.stringMatching(/^\[not stored: JSON nested deeper than 512 levels/) });
    expect(rows[2]).toMatchObject({ path: '/host-api/db_exec', responseBody: null, requestBody: expect.stringMatching(/^\[not stored: the call could not be recorded/) });

    now += 1_000;
    store.flush();
    const dropped = store.query({ pluginId: 'bad.plugin', level: ['WARN'] }).rows;
    expect(dropped.map((row) => row.path)).toEqual(['[WARN] Insights dropped 1 records from this plugin (1 whose bodies could not be stored, kept as markers)']);
    expect(store.query({ pluginId: 'other.plugin', level: ['WARN'] }).rows).toEqual([]);
  });

  it.each([
    ['http_request', (json: string) => hostCall({ slot: 'http_request', args: [json], response: json })],
    ['log_structured', (json: string) => hostCall({ slot: 'log_structured', intArg: 2, args: ['message', json] })],
    ['db_query', (json: string) => hostCall({ slot: 'db_query', args: ['SELECT ?', json], response: json })],
    ['dispatch', (json: string) => hostCall({ slot: 'dispatch', args: [json], response: json })],
  ])('never stores the credentials of a %s body nested too deep to redact', (_slot, call) => {
    const { store } = open();
    for (const depth of [MAX_REDACTED_JSON_DEPTH + 10, 1_500, 100_000]) store.record(call(credentialsBesideNesting(depth)));
    store.flush();
    const rows = store.query().rows;
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toMatch(SECRETS);
      expect(row.requestBody).toMatch(/^\[not stored: /);
    }
  });

  it('stores a marker for JSON too long to redact on the event loop, and cuts long plain text before scrubbing it', () => {
    const long = `{"password":"hunter2-secret","pad":"${'x'.repeat(2_000_000)}"}`;
    expect(scrubBody(long)).toBe('[not stored: 1.9 MB of JSON, over the 1.0 MB Insights redacts; it was not redacted, so it is not kept]');
    const { store } = open();
    store.record(hostCall({ slot: 'log', intArg: 2, args: [`Bearer abc.def ${'y'.repeat(2_000_000)}`] }));
    store.flush();
    const [row] = store.query().rows;
    expect(row!.requestBody).toMatch(/^Bearer <redacted> y+\n…\[truncated, original 1\.9 MB\]$/);
  });
});
