import { describe, expect, it } from 'vitest';
import { chat, context, hostFor, parse, recorder, serve } from './test-fixture.js';
import type { ScriptedReply } from './testing.js';

describe('bad requests', () => {
  it.each([
    ['malformed JSON', '{"model": "", "messages": [', 'not valid JSON'],
    ['a JSON array', '[]', 'must be a JSON object'],
    ['messages that are not an array', '{"model":"","messages":"hi"}', '"messages" must be an array'],
    ['a message without a role', '{"model":"","messages":[{"content":"hi"}]}', 'string "role"'],
    ['a null model', '{"model":null,"messages":[]}', '"model" must be a string'],
    ['tools of the wrong type', '{"model":"","messages":[],"tools":"all"}', '"tools" must be an array'],
  ])('answers invalid_request for %s on both paths, without calling the server', async (_name, requestJson, reason) => {
    const server = await serve();
    const { host } = hostFor(server);
    const { chunks, onChunk } = recorder();
    for (const result of [await host.complete(context(), requestJson), await host.completeStream(context(), requestJson, onChunk)]) {
      expect(parse(result)).toEqual({
        error: 'invalid_request',
        message: expect.stringMatching(new RegExp(`^Failed to parse chat completion request: .*${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
      });
    }
    expect(chunks).toEqual([]);
    expect(server.responses).toEqual([]);
  });
});

describe('misbehaving servers', () => {
  // Only the silent servers get a short idle timeout; a loaded machine must not turn the others into timeouts.
  const failures: Array<[string, ScriptedReply, RegExp, number]> = [
    ['garbage instead of SSE JSON', { kind: 'garbage' }, /^The model server failed: .*JSON/, 5_000],
    ['a close mid-stream', { kind: 'close_mid_stream', tokens: ['par', 'tial'] }, /^The model server failed: .*(terminated|Connection error)/, 5_000],
    ['an HTTP 500', { kind: 'http_error', status: 500, message: 'engine crashed' }, /^The model server failed: 500 engine crashed/, 5_000],
    ['a server that never answers', { kind: 'hang' }, /sent nothing for 200 ms/, 200],
    ['a server that stalls mid-stream', { kind: 'stall', tokens: ['a', 'b'] }, /sent nothing for 200 ms/, 200],
  ];

  it.each(failures)('answers inference_error for %s, and releases the slot and the stream', async (_name, reply, message, idleTimeoutMs) => {
    const server = await serve({ reply: () => reply });
    const { host } = hostFor(server, { idleTimeoutMs });
    // Three sequential failures: a leaked in-flight slot would make the third plugin_busy.
    for (let attempt = 0; attempt < 3; attempt++) {
      const streamed = parse(await host.completeStream(context(), chat({ stream_id: 'bad' }), null));
      expect(streamed).toEqual({ error: 'inference_error', message: expect.stringMatching(message) });
    }
    expect(parse(await host.complete(context(), chat()))).toMatchObject({ error: 'inference_error' });
    expect(server.responses).toHaveLength(4);
  });

  it('drops the connection of a server that stalls, so nothing keeps streaming', async () => {
    const server = await serve({ reply: () => ({ kind: 'stall', tokens: ['a'] }) });
    const { host } = hostFor(server, { idleTimeoutMs: 100 });
    const disconnected = server.nextClientDisconnect();
    expect(parse(await host.completeStream(context(), chat(), null))).toMatchObject({ error: 'inference_error' });
    expect(await disconnected).toMatchObject({ clientDisconnected: true, completed: false });
  });

  it('answers inference_error when the provider is not reachable at all', async () => {
    const server = await serve();
    const { host } = hostFor(server);
    await server.close();
    expect(parse(await host.complete(context(), chat()))).toMatchObject({ error: 'inference_error' });
  });

  it('does not count time spent in a slow on_chunk as server silence', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['a', 'b', 'c'] }), tokenDelayMs: 0 });
    const { host } = hostFor(server, { idleTimeoutMs: 1_000 });
    let slowChunkDone = false;
    const result = parse(
      await host.completeStream(context(), chat(), async () => {
        if (slowChunkDone) return;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        slowChunkDone = true;
      }),
    );
    expect(result.choices[0].message.content).toBe('abc');
  });
});
