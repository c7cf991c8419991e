import { describe, expect, it } from 'vitest';
import { buildCatalog, mcpToolName, sanitizeToolName, type ServedPlugin } from './catalog.js';
import { envelopeToCallToolResult } from './tool-result.js';

function served(id: string, toolIds: string[]): ServedPlugin {
  return {
    id,
    instance: { invokeTool: async () => '{"ok":true,"result":null}' },
    directory: `/plugins/${id}`,
    manifest: { capabilities: { tools: toolIds.map((toolId) => ({ id: toolId, description: toolId })) } },
  };
}

describe('buildCatalog', () => {
  it('names every tool <plugin_id>__<tool_id>, the same whichever other plugins are loaded, in any order', () => {
    const names = (plugins: ServedPlugin[]) => buildCatalog(plugins).map((entry) => `${entry.pluginId}:${entry.tool.id}=${entry.name}`);
    const alone = names([served('b.plugin', ['search', 'open'])]);
    expect(alone).toEqual(['b.plugin:search=b.plugin__search', 'b.plugin:open=b.plugin__open']);
    const both = [served('b.plugin', ['search', 'open']), served('a.plugin', ['search'])];
    expect(names(both)).toEqual(['a.plugin:search=a.plugin__search', ...alone]);
    expect(names([...both].reverse())).toEqual(names(both));
  });

  it('gives ids MCP cannot carry as is a sanitised name with a hash of both ids, so alike ids stay apart', () => {
    const entries = buildCatalog([served('p', ['a b', 'a_b', 'ok.name-1', ''])]).map((entry) => entry.name);
    expect(entries[1]).toBe('p__a_b');
    expect(entries[0]).toMatch(/^p__a_b_[0-9a-f]{8}$/);
    expect(entries[2]).toBe('p__ok.name-1');
    expect(entries[3]).toMatch(/^p___[0-9a-f]{8}$/);
    expect(mcpToolName('a__b', 'c')).not.toBe(mcpToolName('a', 'b__c'));
  });

  it('keeps names within 128 characters', () => {
    const long = 'x'.repeat(200);
    const names = buildCatalog([served('p', [long, `${long}!`])]).map((entry) => entry.name);
    for (const name of names) expect(name).toMatch(/^p__x{116}_[0-9a-f]{8}$/);
    expect(names[0]).not.toBe(names[1]);
    expect(sanitizeToolName('tool/with:odd*chars')).toBe('tool_with_odd_chars');
  });
});

describe('envelopeToCallToolResult', () => {
  it('passes every success through unchanged, with structuredContent for a JSON object', () => {
    for (const text of ['{"ok":true,"result":"hi"}', '{"ok":true,"utc":"2026-01-01T00:00:00Z","epoch":1767225600}', '{"error":"a field of the result"}']) {
      expect(envelopeToCallToolResult(text)).toEqual({ content: [{ type: 'text', text }], structuredContent: JSON.parse(text) });
    }
    for (const text of ['plain words', '[1,2]', 'null']) {
      expect(envelopeToCallToolResult(text)).toEqual({ content: [{ type: 'text', text }] });
    }
  });

  it('turns failures into isError with kind, message and details', () => {
    expect(envelopeToCallToolResult('{"ok":false,"kind":"timeout","message":"too slow","retryable":true}')).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'timeout: too slow (retryable)' }],
    });
    expect(envelopeToCallToolResult('{"ok":false,"kind":"invalid_args","message":"url is required"}')).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'invalid_args: url is required' }],
    });
    expect(envelopeToCallToolResult('{"error":"rate_limited","message":"later","retryable":true}').content).toEqual([
      { type: 'text', text: 'rate_limited: later' },
    ]);
    expect(envelopeToCallToolResult('  [REJECTED] not allowed')).toEqual({ isError: true, content: [{ type: 'text', text: 'rejected: not allowed' }] });
  });
});
