import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAIServer, type FakeOpenAIServerOptions, startFakeOpenAIServer } from './testing.js';

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: FakeOpenAIServerOptions) {
  const server = await startFakeOpenAIServer(options);
  servers.push(server);
  return { server, client: new OpenAI({ baseURL: server.baseURL, apiKey: 'sk-test', maxRetries: 0 }) };
}

describe('startFakeOpenAIServer', () => {
  it('listens on loopback only', async () => {
    const { server } = await serve({});
    expect(new URL(server.baseURL).hostname).toBe('127.0.0.1');
  });

  it('speaks SSE: one data event per token, a finish chunk, then [DONE]', async () => {
    const { server } = await serve({ reply: () => ({ kind: 'text', tokens: ['Hel', 'lo'] }) });
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-chat', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\n\n').filter((event) => event !== '');
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)));
    expect(chunks.map((chunk) => chunk.choices[0].delta.content)).toEqual(['Hel', 'lo', undefined]);
    expect(chunks.map((chunk) => chunk.choices[0].finish_reason)).toEqual([null, null, 'stop']);
    expect(chunks[0].object).toBe('chat.completion.chunk');
  });

  it('streams to the openai SDK, with usage when asked and tool-call arguments in fragments', async () => {
    const args = JSON.stringify({ city: 'Reykjavik', days: 3 });
    const { server, client } = await serve({ reply: () => ({ kind: 'tool_calls', calls: [{ name: 'weather', arguments: args }] }) });
    const stream = await client.chat.completions.create({
      model: 'fake-chat',
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = '';
    let streamedArgs = '';
    let fragments = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      usage ??= chunk.usage;
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        streamedArgs += call.function?.arguments ?? '';
        if (call.function?.arguments) fragments += 1;
      }
    }
    expect(name).toBe('weather');
    expect(JSON.parse(streamedArgs)).toEqual({ city: 'Reykjavik', days: 3 });
    expect(fragments).toBeGreaterThan(1);
    expect(usage?.completion_tokens).toBe(server.responses[0]?.tokensSent);
    expect(server.responses[0]?.authorization).toBe('Bearer sk-test');
  });

  it('notices a client that disconnects mid-stream and stops sending', async () => {
    const tokens = Array.from({ length: 50 }, (_, index) => `t${index} `);
    const { server, client } = await serve({ reply: () => ({ kind: 'text', tokens }) });
    const stream = await client.chat.completions.create({ model: 'fake-chat', messages: [], stream: true });
    const disconnected = server.nextClientDisconnect();
    let received = 0;
    for await (const _chunk of stream) {
      received += 1;
      if (received === 3) break;
    }
    const served = await disconnected;
    expect(served.clientDisconnected).toBe(true);
    expect(served.completed).toBe(false);
    expect(served.tokensSent).toBeLessThan(tokens.length);
  });

  it('streams a live token source and aborts it when the client disconnects', async () => {
    let sourceAborted!: () => void;
    const aborted = new Promise<void>((resolve) => {
      sourceAborted = resolve;
    });
    async function* endless(signal: AbortSignal) {
      signal.addEventListener('abort', () => sourceAborted(), { once: true });
      for (let index = 0; !signal.aborted; index++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield `n${index} `;
      }
    }
    const { server, client } = await serve({ reply: () => ({ kind: 'live', tokens: endless }) });
    const stream = await client.chat.completions.create({ model: 'fake-chat', messages: [], stream: true });
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.choices[0]?.delta.content ?? '');
      if (received.length === 3) break;
    }
    await aborted;
    expect(received).toEqual(['n0 ', 'n1 ', 'n2 ']);
    const finite = await serve({ reply: () => ({ kind: 'live', tokens: async function* () { yield* ['a', 'b']; } }) });
    const usageOnly = await new OpenAI({ baseURL: finite.server.baseURL, apiKey: 'k', maxRetries: 0 }).chat.completions.create({
      model: 'fake-chat',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    let completionTokens: number | undefined;
    for await (const chunk of usageOnly) completionTokens ??= chunk.usage?.completion_tokens;
    expect(completionTokens).toBe(2);
    expect(server.responses[0]?.clientDisconnected).toBe(true);
  });

  it('answers non-streamed requests, models and embeddings', async () => {
    const { client } = await serve({ models: ['a', 'b'], embeddingDimensions: 4 });
    const completion = await client.chat.completions.create({ model: 'a', messages: [{ role: 'user', content: 'say this' }] });
    expect(completion.choices[0]?.message.content).toBe('say this');
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(['a', 'b']);
    const embeddings = await client.embeddings.create({ model: 'e', input: ['x', 'y', 'x'], encoding_format: 'float' });
    expect(embeddings.data.map((item) => item.embedding.length)).toEqual([4, 4, 4]);
    expect(embeddings.data[0]?.embedding).toEqual(embeddings.data[2]?.embedding);
    expect(embeddings.data[0]?.embedding).not.toEqual(embeddings.data[1]?.embedding);
  });

  it('closes itself, and a hanging request, when its lifetime ends', async () => {
    const { server, client } = await serve({ reply: () => ({ kind: 'hang' }), lifetimeMs: 100 });
    await expect(client.chat.completions.create({ model: 'fake-chat', messages: [] })).rejects.toThrow(OpenAI.APIConnectionError);
    await expect(fetch(`${server.baseURL}/models`)).rejects.toThrow();
  });
});
