import OpenAI from 'openai';
import { afterAll, bench, describe } from 'vitest';
import { createInferenceHost } from './host.js';
import { startFakeOpenAIServer } from './testing.js';

// One stream of TOKENS chunks, served as fast as the socket allows, consumed two ways.
// Vitest's summary line gives the ratio: completeStream's overhead per stream over the bare SDK.
const TOKENS = 200;
const tokens = Array.from({ length: TOKENS }, (_, index) => `tok${index} `);
const server = await startFakeOpenAIServer({ tokenDelayMs: 0, reply: () => ({ kind: 'text', tokens }), lifetimeMs: 600_000 });
afterAll(() => server.close());

const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'bench', maxRetries: 0 });
const host = createInferenceHost({ providers: [{ name: 'local', baseURL: server.baseURL, models: ['fake-chat'] }], warn: () => {} });
const ctx = { pluginId: 'bench.plugin', agentId: 'BENCH' };
const messages = [{ role: 'user' as const, content: 'go' }];
const requestJson = JSON.stringify({ model: 'fake-chat', messages });

// Enough samples that JIT warm-up and connection setup do not favour whichever runs second.
const options = { warmupIterations: 10, iterations: 60, time: 3_000 };

function expectAllTokens(received: number): void {
  if (received < TOKENS) throw new Error(`stream delivered ${received} of ${TOKENS} tokens`);
}

describe(`chunk delivery, ${TOKENS}-token stream`, () => {
  bench('openai SDK consumed directly', async () => {
    const stream = await client.chat.completions.create({ model: 'fake-chat', messages, stream: true, stream_options: { include_usage: true } });
    let received = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) received += 1;
    expectAllTokens(received);
  }, options);

  bench('completeStream with a JS onChunk', async () => {
    let received = 0;
    await host.completeStream(ctx, requestJson, async (chunkJson) => {
      if (chunkJson.includes('"content"')) received += 1;
    });
    expectAllTokens(received);
  }, options);
});
