import { describe, expect, it } from 'vitest';
import type { InferenceContext } from './request.js';
import { chat, context, deltas, hostFor, parse, recorder, serve } from './test-fixture.js';
import type { ReceivedChatRequest, ScriptedReply } from './testing.js';

const lookupTool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } };

/** The model calls `lookup` until it has seen `rounds` tool results, then answers. */
function toolThenAnswer(rounds: number) {
  return (request: ReceivedChatRequest): ScriptedReply => {
    const results = request.messages.filter((message) => message['role'] === 'tool').length;
    if (results < rounds) return { kind: 'tool_calls', tokens: [`step${results} `], calls: [{ name: 'lookup', arguments: `{"q":${results}}` }] };
    return { kind: 'text', tokens: ['done'] };
  };
}

function withLookup(invoke: (name: string, args: string) => Promise<string>): InferenceContext {
  return context({ tools: { definitions: [lookupTool], invoke } });
}

describe('agentic tool loop', () => {
  it.each([
    ['a bare ok object', '{"ok":true,"utc":"2026-01-01T00:00:00Z","epoch":1767225600}'],
    ['plain text', 'It is midnight.'],
    ['ok:false without retryable', '{"ok":false,"kind":"invalid_args","message":"url is required"}'],
  ])('hands the model %s exactly as the tool wrote it (P108)', async (_shape, reply) => {
    const server = await serve({ reply: toolThenAnswer(1) });
    const { host } = hostFor(server);
    await host.complete(withLookup(async () => reply), chat({ tools: true }));
    expect(server.responses[1]!.request.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_0_lookup', content: reply });
  });

  it('runs the plugin tools the model calls and feeds the results back (stream)', async () => {
    const server = await serve({ reply: toolThenAnswer(1) });
    const { host } = hostFor(server);
    const calls: Array<[string, string]> = [];
    const ctx = withLookup(async (name, args) => {
      calls.push([name, args]);
      return '{"ok":true,"result":{"answer":42}}';
    });
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(ctx, chat({ tools: true }), onChunk));

    expect(calls).toEqual([['lookup', '{"q":0}']]);
    expect(server.responses[0]!.request.tools).toEqual([lookupTool]);
    const secondRequest = server.responses[1]!.request.messages;
    expect(secondRequest.at(-2)).toMatchObject({
      role: 'assistant',
      content: 'step0 ',
      tool_calls: [{ id: 'call_0_lookup', type: 'function', function: { name: 'lookup', arguments: '{"q":0}' } }],
    });
    expect(secondRequest.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_0_lookup', content: '{"ok":true,"result":{"answer":42}}' });

    expect(deltas(chunks)).toEqual([
      { content: 'step0 ' },
      { tool_calls: [{ id: 'call_0_lookup', type: 'function', function: { name: 'lookup', arguments: '{"q":0}' } }] },
      { role: 'tool', tool_call_id: 'call_0_lookup', content: '{"ok":true,"result":{"answer":42}}' },
      { content: 'done' },
      { usage: expect.objectContaining({ completion_tokens: expect.any(Number) }) },
      {},
    ]);
    expect(chunks.map((chunk) => chunk.choices[0].finish_reason)).toEqual([undefined, 'tool_calls', undefined, undefined, undefined, 'stop']);
    expect(aggregate).toMatchObject({
      choices: [{ message: { content: 'step0 done' }, finish_reason: 'stop' }],
      tool_calls_executed: [{ name: 'lookup', tool_call_id: 'call_0_lookup' }],
    });
    expect(aggregate.usage.completion_tokens).toBe(server.responses[0]!.tokensSent + server.responses[1]!.tokensSent);
  });

  it('runs the same loop for complete and reports the executed tools', async () => {
    const server = await serve({ reply: toolThenAnswer(2) });
    const { host } = hostFor(server);
    const response = parse(await host.complete(withLookup(async () => '{"ok":true,"result":1}'), chat({ tools: true })));
    expect(response.choices[0]).toMatchObject({ message: { content: 'done' }, finish_reason: 'stop' });
    expect(response.tool_calls_executed.map((call: { name: string }) => call.name)).toEqual(['lookup', 'lookup']);
    expect(server.responses).toHaveLength(3);
  });

  it("takes the calling plugin's instructions and tools from the plugin directory, unless the context brings its own", async () => {
    const server = await serve({ reply: toolThenAnswer(1) });
    const calls: Array<[string, string, string | null]> = [];
    const entry = {
      id: 'com.example.notes',
      instance: {
        invokeTool: async (toolId: string, args: string, { agentId }: { agentId: string | null }) => {
          calls.push([toolId, args, agentId]);
          return '{"ok":true}';
        },
      },
      manifest: { instructions: 'Answer briefly.', capabilities: { tools: [{ id: 'lookup', description: 'Looks up.' }] } },
      directory: '/plugins/com.example.notes',
    };
    const { host } = hostFor(server, { plugins: { get: (id) => (id === entry.id ? entry : undefined) } });
    await host.complete(context(), chat({ tools: true }));
    expect(calls).toEqual([['lookup', '{"q":0}', 'AGENT-1']]);
    expect(server.responses[0]!.request.tools).toEqual([
      { type: 'function', function: { name: 'lookup', description: 'Looks up.', parameters: { type: 'object' } } },
    ]);
    expect(server.responses[0]!.request.messages[0]).toEqual({ role: 'system', content: 'Answer briefly.' });

    const own = await serve({ reply: toolThenAnswer(1) });
    const { host: ownHost } = hostFor(own, { plugins: { get: () => entry } });
    await ownHost.complete(withLookup(async () => '{"ok":true}'), chat({ tools: true }));
    expect(own.responses[0]!.request.tools).toEqual([lookupTool]);
    expect(calls).toHaveLength(1);
  });

  it('hands calls of tools the host cannot run back to the plugin', async () => {
    const server = await serve({ reply: () => ({ kind: 'tool_calls', calls: [{ name: 'plugin_side', arguments: '{"x":1}' }] }) });
    const { host } = hostFor(server);
    const ownTools = [{ type: 'function', function: { name: 'plugin_side', parameters: { type: 'object' } } }];
    const invoked: string[] = [];
    const ctx = withLookup(async (name) => {
      invoked.push(name);
      return '{}';
    });
    const response = parse(await host.complete(ctx, chat({ tools: ownTools, tool_choice: 'auto' })));
    expect(server.responses[0]!.request).toMatchObject({ tools: ownTools, tool_choice: 'auto' });
    expect(response.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null, tool_calls: [{ function: { name: 'plugin_side', arguments: '{"x":1}' } }] },
    });
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(ctx, chat({ tools: ownTools }), onChunk));
    expect(aggregate.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('tool_calls');
    expect(invoked).toEqual([]);
    expect(server.responses).toHaveLength(2);
  });

  it('ends both paths with max_iterations_reached and the partial content', async () => {
    const server = await serve({ reply: toolThenAnswer(Number.POSITIVE_INFINITY) });
    const { host } = hostFor(server);
    let invocations = 0;
    const ctx = withLookup(async () => {
      invocations += 1;
      return '{"ok":true,"result":null}';
    });

    const completed = parse(await host.complete(ctx, chat({ tools: true, max_iterations: 2 })));
    expect(completed).toMatchObject({
      error: 'max_iterations_reached',
      message: 'Reached max iterations (2) without a final response',
      partial_content: 'step0 step1 ',
      tool_calls_executed: [{ name: 'lookup' }],
      usage: { completion_tokens: expect.any(Number) },
    });
    expect(server.responses).toHaveLength(2);
    expect(invocations).toBe(1);

    const { chunks, onChunk } = recorder();
    const streamed = parse(await host.completeStream(ctx, chat({ tools: true, max_iterations: 2 }), onChunk));
    expect(streamed).toMatchObject({
      error: 'max_iterations_reached',
      message: 'Plugin streaming completion exhausted 2 iterations without converging on a final answer.',
      partial_content: 'step0 step1 ',
      id: chunks[0]!.id,
      model: 'fake-chat',
    });
    expect(deltas(chunks).at(-2)).toHaveProperty('usage');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('max_iterations');
  });

  it('defaults max_iterations to 30 and clamps it to 1..120', async () => {
    const server = await serve({ reply: toolThenAnswer(Number.POSITIVE_INFINITY), tokenDelayMs: 0 });
    const { host } = hostFor(server);
    const ctx = withLookup(async () => '{"ok":true,"result":null}');
    const modelCalls = async (extra: Record<string, unknown>) => {
      const before = server.responses.length;
      const result = parse(await host.complete(ctx, chat({ tools: true, ...extra })));
      expect(result.error).toBe('max_iterations_reached');
      return server.responses.length - before;
    };
    expect(await modelCalls({})).toBe(30);
    expect(await modelCalls({ max_iterations: 0 })).toBe(1);
    expect(await modelCalls({ max_iterations: 'many' })).toBe(30);
    expect(await modelCalls({ max_iterations: 1000 })).toBe(120);
  });

  it('feeds a timeout or failure envelope back when a tool hangs or throws', async () => {
    const server = await serve({ reply: toolThenAnswer(1) });
    const { host } = hostFor(server, { toolTimeoutMs: 50 });
    await host.complete(withLookup(() => new Promise<string>(() => {})), chat({ tools: true }));
    await host.complete(
      withLookup(async () => {
        throw new Error('disk on fire');
      }),
      chat({ tools: true }),
    );
    const toolResult = (index: number) => JSON.parse(String(server.responses[index]!.request.messages.at(-1)!['content']));
    expect(toolResult(1)).toMatchObject({ ok: false, kind: 'timeout', tool: 'lookup' });
    expect(toolResult(3)).toMatchObject({ ok: false, kind: 'execution_error', message: expect.stringContaining('disk on fire') });
  });

  /** The model calls `lookup` once, then ends with `final`. */
  const lookupThen = (final: ScriptedReply) => (request: ReceivedChatRequest): ScriptedReply =>
    request.messages.some((message) => message['role'] === 'tool') ? final : { kind: 'tool_calls', tokens: ['Looking. '], calls: [{ name: 'lookup', arguments: '{}' }] };
  /** The error envelope of a run that ran `lookup` once and ended unfinished. */
  const unfinished = (error: string, message: string, partialContent: string) => ({
    error,
    message,
    model: 'fake-chat',
    partial_content: partialContent,
    tool_calls_executed: [{ name: 'lookup', tool_call_id: 'call_0_lookup' }],
    shared_artifacts: [],
    usage: expect.objectContaining({ completion_tokens: expect.any(Number) }),
  });

  it('answers empty_tool_task_completion when the model ends a tool task with no text, and ends the stream with empty_response', async () => {
    const server = await serve({ reply: lookupThen({ kind: 'text', tokens: ['  '] }) });
    const { host } = hostFor(server);
    const ctx = withLookup(async () => '{"ok":true,"result":1}');
    const expected = unfinished(
      'empty_tool_task_completion',
      'The model ended the task after 1 tool call(s) without a final answer; ask again or try another model.',
      'Looking.   ',
    );
    expect(parse(await host.complete(ctx, chat({ tools: true })))).toEqual(expected);
    const { chunks, onChunk } = recorder();
    const streamed = parse(await host.completeStream(ctx, chat({ tools: true }), onChunk));
    expect(streamed).toEqual({ id: chunks[0]!.id, ...expected });
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'empty_response' });

    const plain = await serve({ reply: () => ({ kind: 'text', tokens: [] }) });
    expect(parse(await hostFor(plain).host.complete(context(), chat())).choices[0].finish_reason).toBe('stop');
  });

  it('answers output_token_limit when the output hits the token limit, keeping the partial text, and ends the stream with length', async () => {
    const server = await serve({ reply: lookupThen({ kind: 'text', tokens: ['The answer is'], finishReason: 'length' }) });
    const { host } = hostFor(server);
    const ctx = withLookup(async () => '{"ok":true,"result":1}');
    const expected = unfinished(
      'output_token_limit',
      'The model output hit its token limit before the answer was complete; raise max_tokens or ask for less.',
      'Looking. The answer is',
    );
    expect(parse(await host.complete(ctx, chat({ tools: true, max_tokens: 20 })))).toEqual(expected);
    const { chunks, onChunk } = recorder();
    expect(parse(await host.completeStream(ctx, chat({ tools: true, max_tokens: 20 }), onChunk))).toEqual({ id: chunks[0]!.id, ...expected });
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'length' });
  });
});
