import type { HostCallRecord } from '@osr-host/runtime';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_MAX_BODY_CHARS } from './bodies.js';
import { CLARIFY_NOT_SUPPORTED, type HostCallInput, toActivityRow } from './record.js';
import { hostCall } from './test-support/store.js';

const TASK = '7F1C2E4A-0000-4000-8000-000000000001';
const map = (input: HostCallInput) => toActivityRow(input, DEFAULT_MAX_BODY_CHARS);

describe('toActivityRow: method and path per slot (INSIGHTS.md §1 and the D14 additions)', () => {
  const cases: [string, HostCallInput, Partial<ReturnType<typeof map>>][] = [
    ['dispatch', hostCall({ slot: 'dispatch', status: 202, args: ['{"prompt":"hi"}'], response: `{"id":"${TASK}"}` }), { method: 'POST', path: '/host-api/dispatch', requestBody: '{"prompt":"hi"}', responseBody: `{"id":"${TASK}"}`, status: 202 }],
    ['task_status', hostCall({ slot: 'task_status', args: [TASK], response: '{"status":"running"}' }), { method: 'GET', path: `/host-api/tasks/${TASK}`, requestBody: null, responseBody: '{"status":"running"}' }],
    ['dispatch_cancel', hostCall({ slot: 'dispatch_cancel', status: 204, args: [TASK] }), { method: 'DELETE', path: `/host-api/tasks/${TASK}`, requestBody: null, responseBody: null, status: 204 }],
    ['dispatch_clarify (reserved)', hostCall({ slot: 'dispatch_clarify', status: 410, args: [TASK, 'use the blue one'] }), { method: 'POST', path: `/host-api/tasks/${TASK}/clarify`, status: 410, requestBody: 'use the blue one', responseBody: CLARIFY_NOT_SUPPORTED }],
    ['list_active_tasks', hostCall({ slot: 'list_active_tasks', response: '[]' }), { method: 'GET', path: '/host-api/tasks', responseBody: '[]' }],
    ['send_draft', hostCall({ slot: 'send_draft', args: [TASK, '{"text":"draft"}'] }), { method: 'POST', path: `/host-api/tasks/${TASK}/draft`, requestBody: '{"text":"draft"}' }],
    ['dispatch_interrupt', hostCall({ slot: 'dispatch_interrupt', args: [TASK, 'stop'] }), { method: 'POST', path: `/host-api/tasks/${TASK}/interrupt`, requestBody: 'stop' }],
    ['dispatch_add_issue (reserved)', hostCall({ slot: 'dispatch_add_issue', status: 501, args: [TASK, '{}'], response: '{"error":"not_supported"}' }), { method: 'POST', path: `/host-api/tasks/${TASK}/issues`, status: 501, requestBody: null, responseBody: '{"error":"not_supported"}' }],
    ['complete_cancel', hostCall({ slot: 'complete_cancel', status: 204, args: ['s-1'], durationMs: 3 }), { method: 'DELETE', path: '/host-api/streams/s-1', durationMs: 0 }],
    ['complete', hostCall({ slot: 'complete', args: ['{"model":"llama-3","messages":[]}'], response: '{"choices":[]}' }), { method: 'POST', path: '/host-api/chat/completions', model: 'llama-3' }],
    ['complete_stream', hostCall({ slot: 'complete_stream', args: ['{"model":"qwen","stream":true}'] }), { method: 'POST', path: '/host-api/chat/completions', model: 'qwen' }],
    ['embed', hostCall({ slot: 'embed', args: ['{"input":"x"}'], response: '{"data":[]}' }), { method: 'POST', path: '/host-api/embeddings' }],
    ['list_models', hostCall({ slot: 'list_models', response: '{"data":[]}' }), { method: 'GET', path: '/host-api/models', responseBody: '{"data":[]}' }],
    ['http_request', hostCall({ slot: 'http_request', args: ['{"method":"post","url":"https://api.example.com/v1?x=1"}'] }), { method: 'POST', path: '/host-api/http → https://api.example.com/v1?x=1' }],
    ['http_request default method', hostCall({ slot: 'http_request', args: ['{"url":"https://example.com/"}'] }), { method: 'GET' }],
    ['file_read', hostCall({ slot: 'file_read', args: ['{"path":"/home/u/.osaurus/artifacts/a.txt"}'], response: '{"content":"secret file data"}' }), { method: 'GET', path: '/host-api/file_read → /home/u/.osaurus/artifacts/a.txt', responseBody: null }],
    ['config_get', hostCall({ slot: 'config_get', args: ['api_key'], response: '[redacted]' }), { method: 'GET', path: '/host-api/config/api_key', responseBody: '<redacted>' }],
    ['config_get of a missing key', hostCall({ slot: 'config_get', args: ['missing'], response: null }), { responseBody: null }],
    ['config_set', hostCall({ slot: 'config_set', args: ['api_key', '[redacted]'] }), { method: 'PUT', path: '/host-api/config/api_key', requestBody: '<redacted>' }],
    ['config_delete', hostCall({ slot: 'config_delete', args: ['a/b'] }), { method: 'DELETE', path: '/host-api/config/a%2Fb' }],
    ['db_exec', hostCall({ slot: 'db_exec', args: ['INSERT INTO t VALUES (?)', '[1]'], response: '{"changes":1}' }), { method: 'POST', path: '/host-api/db/exec', requestBody: '{"sql":"INSERT INTO t VALUES (?)","params":[1]}' }],
    ['db_query with opaque params', hostCall({ slot: 'db_query', args: ['SELECT 1', 'not json'] }), { path: '/host-api/db/query', requestBody: '{"sql":"SELECT 1","params":"not json"}' }],
    ['get_active_agent_id', hostCall({ slot: 'get_active_agent_id', response: TASK }), { method: 'GET', path: '/host-api/agent', responseBody: TASK }],
    ['log', hostCall({ slot: 'log', intArg: 3, status: 299, args: ['disk almost full'], durationMs: 2 }), { kind: 'log', method: 'LOG', path: '[WARN] disk almost full', level: 'WARN', status: 299, requestBody: 'disk almost full', durationMs: 0 }],
    ['log_structured', hostCall({ slot: 'log_structured', intArg: 4, status: 500, args: ['failed', '{"user":"u1","n":2}'] }), { kind: 'log', path: '[ERROR] failed', requestBody: '{"user":"u1","n":2}', payload: '{"user":"u1","n":2}' }],
    ['log_structured without payload', hostCall({ slot: 'log_structured', intArg: 2, args: ['hello', null] }), { requestBody: 'hello', payload: null }],
    ['log_structured with opaque payload', hostCall({ slot: 'log_structured', intArg: 9, args: ['x', 'user=u1 not json'] }), { path: '[LOG] x', level: 'LOG', requestBody: 'user=u1 not json', payload: null }],
  ];
  it.each(cases)('%s', (_, input, expected) => {
    expect(map(input)).toMatchObject(expected);
  });

  it('keeps the call identity, timing and sizes', () => {
    const row = map(hostCall({ slot: 'list_models', agentId: TASK, frame: 'route', durationMs: 12.5, requestBytes: 3, responseBytes: 40, startedAt: new Date(1_700_000_000_123) }));
    expect(row).toMatchObject({ pluginId: 'com.example.echo', agentId: TASK, frame: 'route', ts: 1_700_000_000_123, durationMs: 12.5, requestBytes: 3, responseBytes: 40, kind: 'call', slot: 'list_models' });
  });

  it('takes the runtime record as it is', () => {
    expectTypeOf<HostCallRecord>().toExtend<HostCallInput>();
  });
});

describe('toActivityRow: redaction', () => {
  it('redacts sensitive headers, URL credentials and bearer tokens of http_request', () => {
    const request = JSON.stringify({
      url: 'https://user:pw@api.example.com/v1?access_token=abc&page=2',
      headers: { Authorization: 'Bearer sk-live-123', Cookie: 'sid=1', 'X-Api-Token': 't', Accept: 'json' },
    });
    const response = JSON.stringify({ status: 200, headers: { 'set-cookie': 'sid=2' }, body: 'ok' });
    const row = map(hostCall({ slot: 'http_request', args: [request], response }));
    expect(JSON.parse(row.requestBody!)).toEqual({
      url: 'https://user:redacted@api.example.com/v1?access_token=redacted&page=2',
      headers: { Authorization: '<redacted>', Cookie: '<redacted>', 'X-Api-Token': '<redacted>', Accept: 'json' },
    });
    expect(row.path).toBe('/host-api/http → https://user:redacted@api.example.com/v1?access_token=redacted&page=2');
    expect(JSON.parse(row.responseBody!).headers).toEqual({ 'set-cookie': '<redacted>' });
    expect(row.requestBody).not.toContain('sk-live-123');
  });

  it('redacts _secrets and credential keys at any depth, but not look-alikes such as max_tokens', () => {
    const request = JSON.stringify({ model: 'm', max_tokens: 5, options: { _secrets: { github: 'ghp_x' }, password: 'p', nested: [{ api_key: 'k' }] } });
    const row = map(hostCall({ slot: 'complete', args: [request] }));
    expect(JSON.parse(row.requestBody!)).toEqual({ model: 'm', max_tokens: 5, options: { _secrets: '<redacted>', password: '<redacted>', nested: [{ api_key: '<redacted>' }] } });
  });

  it('scrubs Osaurus keys and bearer tokens in text that is not JSON', () => {
    const row = map(hostCall({ slot: 'log', args: ['calling with Authorization: Bearer osk-abc.def and "osk-123"'] }));
    expect(row.requestBody).toBe('calling with Authorization: Bearer <redacted> and "<redacted>"');
  });

  it('redacts secrets inside a structured payload, in the body and in the searchable copy', () => {
    const row = map(hostCall({ slot: 'log_structured', args: ['m', '{"user":"u","_secrets":{"k":"v"}}'] }));
    expect(JSON.parse(row.payload!)).toEqual({ user: 'u', _secrets: '<redacted>' });
    expect(row.requestBody).not.toContain('"v"');
  });
});

describe('toActivityRow: bad input', () => {
  it('truncates huge bodies with the original size, and long log paths', () => {
    const message = 'x'.repeat(3 * 1024 * 1024);
    const row = toActivityRow(hostCall({ slot: 'log', intArg: 2, args: [message] }), 1000);
    expect(row.requestBody).toBe(`${'x'.repeat(1000)}\n…[truncated, original 3.0 MB]`);
    expect(row.path.startsWith('[INFO] xxx')).toBe(true);
    expect(row.path.length).toBeLessThan(2_100);
    expect(row.path).toMatch(/…\[truncated, original 3\.0 MB\]$/);
  });

  it('stores db SQL or params longer than Insights redacts as the marker, sized as the plugin sent them, without re-encoding them', () => {
    const dbCall = (slot: string, sql: string, params: string) =>
      map(hostCall({ slot, args: [sql, params], requestBytes: Buffer.byteLength(sql) + Buffer.byteLength(params) }));
    const marker = (size: string) => `[not stored: ${size} of JSON, over the 1.0 MB Insights redacts; it was not redacted, so it is not kept]`;
    // 2 MB of small objects: as a JSON string inside the request they would grow to 2.4 MB of escaped quotes.
    const wide = `[${'{"a":0},'.repeat(250_000)}{"a":0}]`;
    expect(dbCall('db_exec', 'INSERT INTO t VALUES (?)', wide)).toMatchObject({ path: '/host-api/db/exec', requestBody: marker('1.9 MB') });
    expect(dbCall('db_query', 'SELECT ?', JSON.stringify(['x'.repeat(3 * 1024 * 1024)]))).toMatchObject({ requestBody: marker('3.0 MB') });
    expect(dbCall('db_exec', `SELECT '${'x'.repeat(2 * 1024 * 1024)}'`, '[]').requestBody).toBe(marker('2.0 MB'));
  });

  it('keeps replacement characters and makes lone surrogates well-formed', () => {
    const row = map(hostCall({ slot: 'log', intArg: 2, args: ['bad \uFFFD bytes \uD800 here'] }));
    expect(row.requestBody).toBe('bad \uFFFD bytes \uFFFD here');
    expect(row.path).toBe('[INFO] bad \uFFFD bytes \uFFFD here');
  });

  it('does not split a surrogate pair into invalid text when cutting', () => {
    const row = toActivityRow(hostCall({ slot: 'log', args: ['a😀b'] }), 2);
    expect(row.requestBody!.startsWith('a\uFFFD\n…[truncated')).toBe(true);
  });

  it('keeps a payload that is not JSON as opaque text only', () => {
    const row = map(hostCall({ slot: 'log_structured', args: ['m', '{"unterminated": '] }));
    expect(row).toMatchObject({ requestBody: '{"unterminated": ', payload: null });
  });

  it('names a slot it does not know instead of failing', () => {
    expect(map(hostCall({ slot: 'future_slot', args: ['a'] }))).toMatchObject({ method: 'CALL', path: '/host-api/future_slot', requestBody: 'a' });
  });
});

