import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_CHARS } from './bodies.js';
import { diagnoseLoadFailure, hostApiWarningLine, loadedPluginLine, loadFailureLine, pluginLogLine } from './console.js';
import type { WarningEntry } from './store.js';
import { tempStore } from './test-support/store.js';
import { hostApiWarnings, WarningLog, warningPluginId } from './warnings.js';

describe('WarningLog', () => {
  it('prints and keeps a warning once per key per process, with the [PluginHostAPI] prefix', () => {
    const printed: string[] = [];
    const printedEntries: WarningEntry[] = [];
    const opened = tempStore();
    const log = new WarningLog({ store: opened.store, print: (line, entry) => {
        printed.push(line);
        printedEntries.push(entry);
      }, now: () => 42 });
    expect(log.warnOnce(hostApiWarnings.nullOnChunk('p'))).toBe(true);
    expect(log.warnOnce(hostApiWarnings.nullOnChunk('p'))).toBe(false);
    expect(log.warnOnce(hostApiWarnings.nullOnChunk('q'))).toBe(true);
    expect(printed).toHaveLength(2);
    expect(printed[0]).toBe(
      "[PluginHostAPI] Plugin 'p' invoked complete_stream with a NULL on_chunk callback. Streamed deltas will be discarded; the aggregated return value still flows. This warning is logged once per plugin per op per process.",
    );
    expect(log.entries().map((entry) => [entry.key, entry.pluginId, entry.ts])).toEqual([
      ['p|complete_stream|null_chunk', 'p', 42],
      ['q|complete_stream|null_chunk', 'q', 42],
    ]);
    expect(printedEntries).toEqual(log.entries());
    expect(opened.store.warnings().map((row) => row.key)).toEqual(['q|complete_stream|null_chunk', 'p|complete_stream|null_chunk']);
    opened.dispose();
  });

  it('starts afresh in a new process (a new log), while the store keeps both', () => {
    const opened = tempStore();
    new WarningLog({ store: opened.store, print: () => {} }).warnOnce(hostApiWarnings.agentOverride('p', 'embed', 'X'));
    expect(new WarningLog({ store: opened.store, print: () => {} }).warnOnce(hostApiWarnings.agentOverride('p', 'embed', 'X'))).toBe(true);
    expect(opened.store.warnings({ pluginId: 'p' })).toHaveLength(2);
    opened.dispose();
  });

  it('keeps at most maxEntries in memory and maxWarnings in the store, dropping the oldest', () => {
    const opened = tempStore({ maxWarnings: 2 });
    const log = new WarningLog({ store: opened.store, print: () => {}, maxEntries: 2 });
    for (const name of ['a', 'b', 'c']) log.warnOnce(hostApiWarnings.dispatchToolScope('p', name));
    expect(log.entries().map((entry) => entry.key)).toEqual(['p|dispatch|tool_scope|b', 'p|dispatch|tool_scope|c']);
    expect(opened.store.warnings().map((row) => row.key)).toEqual(['p|dispatch|tool_scope|c', 'p|dispatch|tool_scope|b']);
    opened.dispose();
  });

  it('uses the upstream keys for every catalogued warning, and accepts new ones', () => {
    const log = new WarningLog({ print: () => {} });
    const specs = [
      hostApiWarnings.invalidTaskId('p', 'dispatch_cancel', 'x'),
      hostApiWarnings.unownedTaskId('p', 'send_draft', 'y'),
      hostApiWarnings.agentOverride('p', 'dispatch', 'z'),
      hostApiWarnings.noAgentContext('p', 'config_get'),
      hostApiWarnings.configTooLarge('p', 'big', 2_000_000),
      hostApiWarnings.dispatchToolScope('p', 'shell'),
      { key: 'p|routes|slow_handler', message: 'a later warning' },
    ];
    expect(specs.map((spec) => spec.key)).toEqual([
      'p|dispatch_cancel|invalid',
      'p|send_draft|unowned',
      'p|dispatch|agent_override',
      'p|config_get|no_agent_context',
      'p|config_set|too_large|big',
      'p|dispatch|tool_scope|shell',
      'p|routes|slow_handler',
    ]);
    expect(specs.every((spec) => log.warnOnce(spec))).toBe(true);
    expect(hostApiWarnings.configTooLarge('p', 'big', 2_000_000).message).toContain('2000000-byte value, exceeding the 1 MiB config-value cap');
  });

  it('serves as a (key, message) warn function and bounds the keys it remembers', () => {
    const printed: string[] = [];
    const log = new WarningLog({ print: (line) => printed.push(line), maxKeys: 2 });
    const { warn } = log;
    warn('p|config_set|store_failed', 'first');
    warn('p|config_set|store_failed', 'again');
    warn('p|b|x', 'second');
    warn('p|c|x', 'third');
    warn('p|config_set|store_failed', 'forgotten, so logged again');
    expect(printed).toEqual(['[PluginHostAPI] first', '[PluginHostAPI] second', '[PluginHostAPI] third', '[PluginHostAPI] forgotten, so logged again']);
  });

  it('keeps the warnings logged before its store was attached', () => {
    const opened = tempStore();
    const log = new WarningLog({ print: () => {} });
    log.warn('p|config_get|no_agent_context', 'before the store');
    log.attachStore(opened.store);
    log.warn('p|config_set|no_agent_context', 'after the store');
    expect(opened.store.warnings().map((row) => row.message)).toEqual(['after the store', 'before the store']);
    opened.dispose();
  });

  it('takes the plugin id from the key, or <unknown>', () => {
    expect([warningPluginId('com.x|op|r'), warningPluginId('noseparator'), warningPluginId('|op')]).toEqual(['com.x', '<unknown>', '<unknown>']);
  });
});

describe('console lines', () => {
  it('formats plugin logs as upstream, appending structured payloads', () => {
    expect(pluginLogLine('p', 1, 'hello')).toBe('[Plugin:p] [DEBUG] hello');
    expect(pluginLogLine('p', 7, 'x', '{"a":1}')).toBe('[Plugin:p] [LOG] x {"a":1}');
  });

  it('cuts a message or payload over the body limit, with its size, and keeps one at the limit whole', () => {
    const atLimit = 'x'.repeat(DEFAULT_MAX_BODY_CHARS);
    expect(pluginLogLine('p', 2, 'm', atLimit)).toBe(`[Plugin:p] [INFO] m ${atLimit}`);
    const huge = `{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    expect(pluginLogLine('p', 2, 'm', huge)).toBe(`[Plugin:p] [INFO] m ${huge.slice(0, DEFAULT_MAX_BODY_CHARS)} …[truncated, original 3.0 MB]`);
    expect(pluginLogLine('p', 3, `${atLimit}\ny`)).toBe(`[Plugin:p] [WARN] ${atLimit} …[truncated, original 256.0 KB]`);
  });

  it('defuses terminal escapes and forged lines in plugin text', () => {
    expect(hostApiWarningLine("Plugin 'p\u001b[31m' said\r\nhi")).toBe("[PluginHostAPI] Plugin 'p\\x1b[31m' said\\x0d\\x0ahi");
  });

  it('formats the loader lines with the [Osaurus] prefix and advice for known failures', () => {
    expect(loadedPluginLine('/t/p/1.0.0/libp.so', 'v2', 6)).toBe('[Osaurus] Loaded plugin from /t/p/1.0.0/libp.so (entry=v2, abi=v6)');
    expect(loadFailureLine('p', 'Missing plugin entry point (osaurus_plugin_entry_v2 or osaurus_plugin_entry)')).toContain('nm -gU <library> | grep osaurus_plugin');
    expect(loadFailureLine('p', 'something new')).toBe('[Osaurus] Failed to load plugin p: something new');
  });

  it('diagnoses the DEBUGGING.md symptoms', () => {
    const symptoms = [
      'Failed to load library: libfoo.so: cannot open shared object file',
      'Missing plugin entry point (osaurus_plugin_entry_v2 or osaurus_plugin_entry)',
      'Plugin v2 entry returned null API',
      'Plugin initialization failed',
      'Failed to parse plugin manifest: unexpected token',
      "Route 'ui' declares route /app/x under web mount /app",
      'consent_required: Plugin has not been approved for loading',
      'Plugin quarantined after a crash during load — run osr-host tools retry dev.x to load it again, or osr-host tools remove dev.x to uninstall it.',
      'Checksum verification failed - plugin file may be corrupted or tampered with',
    ].map((error) => diagnoseLoadFailure(error)?.symptom);
    expect(symptoms).toEqual([
      'dlopen failed',
      'missing entry',
      'init failed',
      'init failed',
      'invalid manifest',
      'route under web mount',
      'consent required',
      'quarantined',
      'verification failed',
    ]);
    expect(diagnoseLoadFailure('all fine?')).toBeUndefined();
  });
});
