import { describe, expect, it } from 'vitest';
import { chat, context, deltas, type Envelope, hostFor, parse, recorder, serve } from './test-fixture.js';

describe('completeStream', () => {
  it('delivers reasoning and content deltas, then a usage chunk, then the terminator', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', reasoning: ['think', 'ing'], tokens: ['Hi', ' you'] }) });
    const { host } = hostFor(server);
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(context(), chat(), onChunk));

    expect(deltas(chunks)).toEqual([
      { reasoning_content: 'think' },
      { reasoning_content: 'ing' },
      { content: 'Hi' },
      { content: ' you' },
      { usage: { completion_tokens: 4, tokens_per_second: expect.any(Number), unclosed_reasoning: false } },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0].finish_reason === undefined)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]!.id).toMatch(/^cmpl-[0-9a-f]{12}$/);
    expect(aggregate).toEqual({
      id: chunks[0]!.id,
      model: 'fake-chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi you' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: 4, total_tokens: expect.any(Number) },
    });
  });

  it('reports unclosed reasoning and a length finish when the model stops while thinking', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', reasoning: ['still', ' thinking'], tokens: [], finishReason: 'length' }) });
    const { host } = hostFor(server);
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(context(), chat(), onChunk));
    expect(deltas(chunks).at(-2)).toMatchObject({ usage: { unclosed_reasoning: true } });
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    expect(aggregate).toMatchObject({ error: 'output_token_limit', partial_content: '', tool_calls_executed: [] });
  });

  it('counts completion tokens itself when the server reports no usage', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['a', 'b', 'c'], reportUsage: false }) });
    const { host } = hostFor(server);
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(context(), chat(), onChunk));
    expect(deltas(chunks).at(-2)).toMatchObject({ usage: { completion_tokens: 3 } });
    expect(aggregate.usage.completion_tokens).toBe(3);
    expect(aggregate.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('with a NULL on_chunk warns once and still returns the aggregate', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['x', 'y'] }) });
    const { host, warnings } = hostFor(server);
    const first = parse(await host.completeStream(context(), chat(), null));
    await host.completeStream(context(), chat(), null);
    expect(first.choices[0].message.content).toBe('xy');
    expect(warnings.map((warning) => warning.key)).toEqual(['com.example.notes|complete_stream|null_chunk']);
    expect(warnings[0]!.message).toContain('NULL on_chunk');
  });

  it('lets on_chunk call back into the host: nested calls run until the cap, then plugin_busy', async () => {
    const server = await serve({ reply: (request) => ({ kind: 'text', tokens: [`${request.messages.length}`, '!'] }) });
    const { host } = hostFor(server);
    let nestedComplete: Envelope | undefined;
    let nestedStream: Envelope | undefined;
    let thirdCall: Envelope | undefined;
    const outer = parse(
      await host.completeStream(context(), chat(), async () => {
        if (nestedStream) return;
        nestedComplete = parse(await host.complete(context(), chat()));
        nestedStream = parse(
          await host.completeStream(context(), chat(), async () => {
            // Outer and nested stream hold both slots.
            thirdCall ??= parse(await host.complete(context(), chat()));
          }),
        );
      }),
    );
    expect(outer.choices[0].message.content).toBe('1!');
    expect(nestedComplete?.choices[0].message.content).toBe('1!');
    expect(nestedStream?.choices[0].message.content).toBe('1!');
    expect(thirdCall).toMatchObject({ error: 'plugin_busy' });
  });

  it('turns a rejecting on_chunk into inference_error and drops the upstream request', async () => {
    const tokens = Array.from({ length: 40 }, (_, index) => `${index} `);
    const server = await serve({ reply: () => ({ kind: 'text', tokens }) });
    const { host } = hostFor(server);
    const disconnected = server.nextClientDisconnect();
    const result = parse(
      await host.completeStream(context(), chat(), async () => {
        throw new Error('plugin bridge went away');
      }),
    );
    expect(result).toMatchObject({ error: 'inference_error', message: expect.stringContaining('plugin bridge went away') });
    expect((await disconnected).tokensSent).toBeLessThan(tokens.length);
  });
});
