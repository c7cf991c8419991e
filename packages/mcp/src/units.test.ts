import { describe, expect, it } from 'vitest';
import { buildCatalog, sanitizeToolName, type ServedPlugin } from './catalog.js';
import { envelopeToCallToolResult } from './tool-result.js';

function served(id: string, toolIds: string[]): ServedPlugin {
  return {
    plugin: { id, invokeTool: async () => '{"ok":true,"result":null}' },
    manifest: { capabilities: { tools: toolIds.map((toolId) => ({ id: toolId, description: toolId })) } },
  };
}

describe('buildCatalog', () => {
  it('prefixes every plugin that shares a name, whatever the load order', () => {
    const one = [served('b.plugin', ['search', 'open']), served('a.plugin', ['search'])];
    const names = (plugins: ServedPlugin[]) => buildCatalog(plugins).map((entry) => `${entry.pluginId}:${entry.tool.id}=${entry.name}`);
    expect(names(one)).toEqual(['a.plugin:search=a.plugin__search', 'b.plugin:search=b.plugin__search', 'b.plugin:open=open']);
    expect(names([...one].reverse())).toEqual(names(one));
  });

  it('sanitises ids to the MCP charset and numbers names that are still equal', () => {
    const entries = buildCatalog([served('p', ['a b', 'a_b', 'ok.name-1', ''])]);
    expect(entries.map((entry) => entry.name)).toEqual(['a_b', 'a_b_2', 'ok.name-1', '_']);
  });

  it('keeps names within 128 characters, suffix included', () => {
    const long = 'x'.repeat(200);
    const names = buildCatalog([served('p', [long, `${long}!`])]).map((entry) => entry.name);
    expect(names).toEqual(['x'.repeat(128), `${'x'.repeat(126)}_2`]);
    expect(sanitizeToolName('tool/with:odd*chars')).toBe('tool_with_odd_chars');
  });
});

describe('envelopeToCallToolResult', () => {
  it('shows a string result as is, other results as JSON, and warnings as more text', () => {
    expect(envelopeToCallToolResult('{"ok":true,"result":"hi"}')).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(envelopeToCallToolResult('{"ok":true,"result":{"n":1},"warnings":["slow"]}')).toEqual({
      content: [
        { type: 'text', text: '{"n":1}' },
        { type: 'text', text: 'warning: slow' },
      ],
    });
  });

  it('turns failures into isError with kind, message and details', () => {
    expect(envelopeToCallToolResult('{"ok":false,"kind":"timeout","message":"too slow","retryable":true}')).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'timeout: too slow (retryable)' }],
    });
    expect(envelopeToCallToolResult('{"error":"rate_limited","message":"later","retryable":true}').content).toEqual([
      { type: 'text', text: 'rate_limited: later' },
    ]);
    expect(envelopeToCallToolResult('  [REJECTED] not allowed')).toEqual({ isError: true, content: [{ type: 'text', text: 'rejected: not allowed' }] });
  });

  it('shows text that is not an envelope as a success', () => {
    for (const text of ['plain words', '[1,2]', '{"error":"a field of the result"}']) {
      expect(envelopeToCallToolResult(text)).toEqual({ content: [{ type: 'text', text }] });
    }
  });
});
