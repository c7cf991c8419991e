import { describe, expect, it } from 'vitest';
import { loadInferenceConfig } from './config.js';
import { createInferenceHost } from './host.js';
import { context, hostFor, parse, serve } from './test-fixture.js';

describe('embed', () => {
  it('returns data with index, embedding and dimensions, plus usage', async () => {
    const server = await serve({ embeddingDimensions: 6 });
    const { host } = hostFor(server);
    const result = parse(await host.embed(context(), JSON.stringify({ input: ['alpha', 'beta'] })));
    expect(result.model).toBe('fake-embed');
    expect(result.data).toEqual([
      { index: 0, embedding: expect.any(Array), dimensions: 6 },
      { index: 1, embedding: expect.any(Array), dimensions: 6 },
    ]);
    expect(result.data[0].embedding).toHaveLength(6);
    expect(result.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const single = parse(await host.embed(context(), JSON.stringify({ model: 'fake-embed', input: 'alpha' })));
    expect(single.data[0].embedding).toEqual(result.data[0].embedding);
  });

  it('rejects bad requests and unknown models with the documented codes', async () => {
    const { host, warnings } = hostFor(await serve());
    expect(parse(await host.embed(context(), '{oops'))).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/^Failed to parse embedding request/),
    });
    for (const input of [undefined, 3, [], ['ok', 4]]) {
      expect(parse(await host.embed(context(), JSON.stringify({ input })))).toEqual({
        error: 'invalid_request',
        message: "Missing or invalid 'input' field",
      });
    }
    expect(parse(await host.embed(context(), JSON.stringify({ model: 'nope', input: 'x' })))).toMatchObject({ error: 'model_unavailable' });
    await host.embed(context(), JSON.stringify({ input: 'x', agent_id: 'OTHER' }));
    expect(warnings.map((warning) => warning.key)).toContain('com.example.notes|embed|agent_override');
  });

  it('embeds with a model the server lists in GET /models, for a provider configured only by the environment', async () => {
    const server = await serve({ models: ['fake-chat', 'nomic-embed'], embeddingDimensions: 4 });
    const host = createInferenceHost({ ...loadInferenceConfig(undefined, { OSR_HOST_OPENAI_BASE_URL: server.baseURL }), warn: () => {} });
    const result = parse(await host.embed(context(), JSON.stringify({ model: 'nomic-embed', input: 'alpha' })));
    expect(result).toMatchObject({ model: 'nomic-embed', data: [{ index: 0, dimensions: 4 }] });
    expect(parse(await host.embed(context(), JSON.stringify({ model: 'unlisted', input: 'alpha' })))).toMatchObject({ error: 'model_unavailable' });
  });

  it('answers embedding_error when the server fails', async () => {
    const server = await serve();
    const { host } = hostFor(server);
    await server.close();
    expect(parse(await host.embed(context(), JSON.stringify({ input: 'x' })))).toMatchObject({ error: 'embedding_error' });
  });
});

describe('listModels', () => {
  it('aggregates every provider, reading unlisted ones from the server and skipping unreachable ones', async () => {
    const local = await serve();
    const remote = await serve({ models: ['big', 'huge'] });
    const gone = await serve();
    await gone.close();
    const host = createInferenceHost({
      providers: [
        { name: 'local', baseURL: local.baseURL, models: ['small'], embeddingModels: ['potion'] },
        { name: 'remote', baseURL: remote.baseURL },
        { name: 'gone', baseURL: gone.baseURL },
      ],
      warn: () => {},
    });
    const chatCapabilities = ['chat', 'tool_calling'];
    expect(parse(await host.listModels(context()))).toEqual({
      models: [
        { id: 'small', name: 'small', provider: 'local', type: 'chat', capabilities: chatCapabilities },
        { id: 'potion', name: 'potion', provider: 'local', type: 'embedding', capabilities: ['embedding'] },
        { id: 'big', name: 'big', provider: 'remote', type: 'chat', capabilities: chatCapabilities },
        { id: 'huge', name: 'huge', provider: 'remote', type: 'chat', capabilities: chatCapabilities },
      ],
    });
  });
});
