import { describe, expect, it } from 'vitest';
import { routeRequestRow, toolCallRow, toolCallStatus } from './surface-rows.js';
import { tempStore } from './test-support/store.js';

const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';

describe('surface rows', () => {
  it('stores tool calls and route requests as rows that filters and stats see', () => {
    const { store, dispose } = tempStore();
    try {
      store.append(toolCallRow({ surface: 'mcp', pluginId: 'com.example.replies', agentId: AGENT, toolId: 'fetch', startedAt: Date.now() - 3_000, durationMs: 4, errorKind: 'invalid_args' }));
      store.append(toolCallRow({ surface: 'invoke', pluginId: 'com.example.replies', agentId: null, toolId: 'clock', startedAt: Date.now() - 2_000, durationMs: 1, errorKind: null }));
      store.append(
        routeRequestRow({ pluginId: 'com.example.replies', agentId: AGENT, method: 'HEAD', path: '/time', status: 200, startedAt: Date.now() - 1_000, durationMs: 2, kind: 'route', routeId: 'time', error: null }),
      );
      store.flush();
      const rows = store.query({ pluginId: 'com.example.replies' }, { limit: 10 }).rows;
      expect(rows.map((row) => [row.slot, row.method, row.path, row.status, row.agentId, JSON.parse(row.payload ?? 'null')]).sort()).toEqual([
        ['route', 'HEAD', '/plugins/com.example.replies/time', 200, AGENT, { surface: 'route', kind: 'route', route_id: 'time', error: null }],
        ['tool', 'TOOL', '/tools/clock', 200, null, { surface: 'invoke', tool_id: 'clock', error_kind: null }],
        ['tool', 'TOOL', '/tools/fetch', 400, AGENT, { surface: 'mcp', tool_id: 'fetch', error_kind: 'invalid_args' }],
      ]);
      expect(store.query({ path: '/tools/' }, { limit: 10 }).rows).toHaveLength(2);
    } finally {
      dispose();
    }
  });

  it('maps tool failure kinds to statuses, 500 for kinds it does not know', () => {
    expect([null, 'invalid_args', 'user_denied', 'tool_not_found', 'timeout', 'unavailable', 'cancelled', 'execution_error', 'made_up'].map(toolCallStatus)).toEqual([
      200, 400, 403, 404, 504, 503, 499, 500, 500,
    ]);
  });
});
