import { describe, expect, it } from 'vitest';
import { chat, context, deltas, hostFor, parse, recorder, serve } from './test-fixture.js';

const manyTokens = Array.from({ length: 60 }, (_, index) => `w${index} `);

describe('completeCancel', () => {
  it('cancels from inside on_chunk: cancelled terminator, envelope with partial content, upstream stopped', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: manyTokens }) });
    const { host } = hostFor(server);
    const { chunks, onChunk } = recorder();
    const disconnected = server.nextClientDisconnect();
    let cancelReturnedInsideOnChunk = false;
    const result = parse(
      await host.completeStream(context(), chat({ stream_id: 'S-1' }), async (chunkJson) => {
        await onChunk(chunkJson);
        if (chunks.length === 2) {
          host.completeCancel(context(), 'S-1');
          cancelReturnedInsideOnChunk = true;
        }
      }),
    );

    expect(cancelReturnedInsideOnChunk).toBe(true);
    expect(deltas(chunks)).toEqual([
      { content: 'w0 ' },
      { content: 'w1 ' },
      { usage: { completion_tokens: 2, tokens_per_second: expect.any(Number), unclosed_reasoning: false } },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('cancelled');
    expect(result).toEqual({
      error: 'cancelled',
      message: 'Streaming completion cancelled by plugin via complete_cancel.',
      id: chunks[0]!.id,
      stream_id: 'S-1',
      model: 'fake-chat',
      partial_content: 'w0 w1 ',
      tool_calls_executed: [],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: 2, total_tokens: expect.any(Number) },
    });
    const served = await disconnected;
    expect(served.tokensSent).toBeLessThan(manyTokens.length);
    expect(served.completed).toBe(false);
  });

  // The idle timeout is far beyond the test timeout: only the immediate upstream abort can end this stream in time.
  it('cancels a stream still waiting for the server, from outside on_chunk', { timeout: 10_000 }, async () => {
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => {
      requestArrived = resolve;
    });
    const server = await serve({
      reply: () => {
        requestArrived();
        return { kind: 'hang' };
      },
    });
    const { host } = hostFor(server, { idleTimeoutMs: 600_000 });
    const { chunks, onChunk } = recorder();
    const disconnected = server.nextClientDisconnect();
    const pending = host.completeStream(context(), chat({ stream_id: 'waiting' }), onChunk);
    await arrived;
    host.completeCancel(context(), 'waiting');
    expect(parse(await pending)).toMatchObject({ error: 'cancelled', partial_content: '', usage: { completion_tokens: 0 } });
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('cancelled');
    await disconnected;
  });

  it('trims ids, and ignores blank, unknown and other plugins\u2019 ids', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['a', 'b', 'c', 'd'] }) });
    const { host } = hostFor(server);
    const untouched = parse(
      await host.completeStream(context(), chat({ stream_id: ' mine ' }), async () => {
        host.completeCancel(context({ pluginId: 'com.example.other' }), 'mine');
        host.completeCancel(context(), 'someone-else');
        host.completeCancel(context(), '   ');
        host.completeCancel(context(), '');
        host.completeCancel(context(), null);
      }),
    );
    expect(untouched.choices[0]).toMatchObject({ message: { content: 'abcd' }, finish_reason: 'stop' });

    const cancelled = parse(
      await host.completeStream(context(), chat({ stream_id: ' mine ' }), async () => {
        host.completeCancel(context(), '\tmine\n');
      }),
    );
    expect(cancelled).toMatchObject({ error: 'cancelled', stream_id: 'mine', partial_content: 'a' });
  });

  it('forgets a stream_id once its stream ends, so a late cancel does not hit the next stream', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['a', 'b'] }) });
    const { host } = hostFor(server);
    await host.completeStream(context(), chat({ stream_id: 'reused' }), null);
    host.completeCancel(context(), 'reused');
    const again = parse(await host.completeStream(context(), chat({ stream_id: 'reused' }), null));
    expect(again.choices[0].finish_reason).toBe('stop');
  });

  it('stops waiting for a host tool when the stream is cancelled during it', async () => {
    const server = await serve({
      reply: () => ({ kind: 'tool_calls', calls: [{ name: 'slow_tool', arguments: '{}' }] }),
    });
    let toolStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      toolStarted = resolve;
    });
    const { host } = hostFor(server);
    const ctx = context({
      tools: {
        definitions: [{ type: 'function', function: { name: 'slow_tool', parameters: { type: 'object' } } }],
        invoke: () => {
          toolStarted();
          return new Promise<string>(() => {});
        },
      },
    });
    const pending = host.completeStream(ctx, chat({ stream_id: 'T', tools: true }), null);
    await started;
    host.completeCancel(ctx, 'T');
    expect(parse(await pending)).toMatchObject({ error: 'cancelled', tool_calls_executed: [] });
    expect(server.responses).toHaveLength(1);
  });
});
