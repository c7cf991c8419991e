import { describe, expect, it } from 'vitest';
import { createInferenceHost } from './host.js';
import { chat, context, hostFor, parse, serve } from './test-fixture.js';

describe('complete', () => {
  it('returns an OpenAI chat.completion with top-level usage', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['Four', ' ', 'words', ' here'] }) });
    const { host } = hostFor(server);
    const response = parse(await host.complete(context(), chat()));
    expect(response).toMatchObject({
      object: 'chat.completion',
      model: 'fake-chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Four words here' }, finish_reason: 'stop' }],
    });
    expect(response.id).toBe('chatcmpl-fake-1');
    expect(response.usage.completion_tokens).toBe(4);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens + 4);
    expect(response).not.toHaveProperty('tool_calls_executed');
  });

  it('uses the default model when the request names none, streaming or not (model is optional in the ABI)', async () => {
    const server = await serve();
    const { host } = hostFor(server, { providers: [{ name: 'local', baseURL: server.baseURL, models: ['other', 'fake-chat'] }], defaultModel: 'fake-chat' });
    const request = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    expect(parse(await host.complete(context(), request))).toMatchObject({ object: 'chat.completion', model: 'fake-chat' });
    expect(parse(await host.completeStream(context(), request, async () => {}))).toMatchObject({ model: 'fake-chat' });
    expect(server.responses.map((response) => response.request.model)).toEqual(['fake-chat', 'fake-chat']);
  });

  it('authenticates with the provider API key', async () => {
    const server = await serve();
    const { host } = hostFor(server, {
      providers: [{ name: 'cloud', baseURL: server.baseURL, apiKey: 'sk-provider', models: ['fake-chat'] }],
    });
    await host.complete(context(), chat());
    expect(server.responses[0]!.authorization).toBe('Bearer sk-provider');
  });

  it('returns null for a NULL request', async () => {
    const { host } = hostFor(await serve());
    expect(await host.complete(context(), null)).toBeNull();
    expect(await host.completeStream(context(), null, null)).toBeNull();
    expect(await host.embed(context(), null)).toBeNull();
  });

  it('forwards the documented parameters and strips the host extensions', async () => {
    const server = await serve();
    const { host } = hostFor(server);
    await host.complete(
      context(),
      chat({ temperature: 0.2, top_k: 5, seed: 7, max_iterations: 3, stream_id: 's', session_id: 'x', agent_id: 'A', stream: false, bogus: 1 }),
    );
    const received = server.responses[0]!.request;
    expect(received).toMatchObject({ model: 'fake-chat', temperature: 0.2, top_k: 5, seed: 7, stream: true });
    for (const key of ['max_iterations', 'stream_id', 'session_id', 'agent_id', 'bogus']) expect(received).not.toHaveProperty(key);
  });
});

describe('model resolution', () => {
  async function twoProviders(options: { defaultModel?: string; localProvider?: string } = {}) {
    const local = await serve({ models: ['small'] });
    const remote = await serve({ models: ['big', 'huge'] });
    const host = createInferenceHost({
      providers: [
        { name: 'local', baseURL: local.baseURL, models: ['small'] },
        // No model list: the host reads it from the server.
        { name: 'remote', baseURL: remote.baseURL },
      ],
      warn: () => {},
      ...options,
    });
    const modelServed = async (model: string, agentModel?: string) => {
      const agentHost = agentModel
        ? createInferenceHost({
            providers: [
              { name: 'local', baseURL: local.baseURL, models: ['small'] },
              { name: 'remote', baseURL: remote.baseURL },
            ],
            warn: () => {},
            agentProfile: () => ({ model: agentModel }),
            ...options,
          })
        : host;
      return parse(await agentHost.complete(context(), JSON.stringify({ model, messages: [] })));
    };
    return { local, remote, host, modelServed };
  }

  it('routes a model name to the provider that lists it, discovering unlisted providers', async () => {
    const { local, remote, modelServed } = await twoProviders();
    expect((await modelServed('huge')).model).toBe('huge');
    expect(remote.responses.map((served) => served.request.model)).toEqual(['huge']);
    expect(local.responses).toHaveLength(0);
  });

  it('maps "" and "default" to the agent model, else the host default, else the first model', async () => {
    const { remote, local, modelServed } = await twoProviders({ defaultModel: 'big' });
    expect((await modelServed('')).model).toBe('big');
    expect((await modelServed('DEFAULT')).model).toBe('big');
    expect((await modelServed('default', 'huge')).model).toBe('huge');
    expect(remote.responses.map((served) => served.request.model)).toEqual(['big', 'big', 'huge']);
    const { modelServed: withoutDefault } = await twoProviders();
    expect((await withoutDefault('')).model).toBe('small');
    expect(local.responses).toHaveLength(0);
  });

  it('maps "local" to the local provider', async () => {
    const { local, modelServed } = await twoProviders();
    expect((await modelServed('local')).model).toBe('small');
    expect(local.responses).toHaveLength(1);
  });

  it('answers model_unavailable for "foundation", unknown names and a missing local provider', async () => {
    const { modelServed } = await twoProviders();
    expect(await modelServed('foundation')).toMatchObject({ error: 'model_unavailable', message: expect.stringContaining('Foundation') });
    expect(await modelServed('nope')).toMatchObject({ error: 'model_unavailable', message: expect.stringContaining('list_models') });
    const server = await serve();
    const host = createInferenceHost({ providers: [{ name: 'remote', baseURL: server.baseURL, models: ['m'] }], warn: () => {} });
    expect(parse(await host.complete(context(), JSON.stringify({ model: 'local', messages: [] })))).toMatchObject({
      error: 'model_unavailable',
    });
  });
});

describe('agent scoping', () => {
  it('ignores agent_id and agent_address, warning once per plugin and op', async () => {
    const server = await serve();
    const { host, warnings } = hostFor(server);
    await host.complete(context(), chat({ agent_id: 'OTHER' }));
    await host.complete(context(), chat({ agent_address: 'other@agents' }));
    await host.completeStream(context(), chat({ agent_id: 'OTHER' }), null);
    await host.complete(context(), chat({ agent_id: '  ' }));
    const keys = warnings.map((warning) => warning.key);
    expect(keys.filter((key) => key.endsWith('agent_override'))).toEqual([
      'com.example.notes|complete|agent_override',
      'com.example.notes|complete_stream|agent_override',
    ]);
    expect(warnings[0]?.message).toContain("'OTHER'");
    // The warnings sink prints the `[PluginHostAPI]` prefix; a message carrying it too would show it twice.
    expect(warnings[0]?.message).not.toContain('[PluginHostAPI]');
  });

  it('uses the frame agent profile, and warns once when there is no agent', async () => {
    const server = await serve();
    const profiles: string[] = [];
    const { host, warnings } = hostFor(server, {
      agentProfile: (agentId) => {
        profiles.push(agentId);
        return { systemPrompt: 'You are Ada.', temperature: 0.5, maxTokens: 99 };
      },
    });
    await host.complete(context({ agentId: 'AGENT-7' }), chat({ agent_id: 'OTHER', temperature: 0.1 }));
    expect(profiles).toEqual(['AGENT-7']);
    expect(server.responses[0]!.request).toMatchObject({
      temperature: 0.1,
      max_tokens: 99,
      messages: [{ role: 'system', content: 'You are Ada.' }, { role: 'user' }],
    });
    await host.complete(context({ agentId: null }), chat());
    await host.complete(context({ agentId: null }), chat());
    expect(profiles).toEqual(['AGENT-7']);
    expect(server.responses[1]!.request.messages).toEqual([{ role: 'user', content: 'hello there' }]);
    expect(warnings.filter((warning) => warning.key === 'com.example.notes|complete|no_agent_context')).toHaveLength(1);
  });

  it('appends the manifest instructions to the system prompt after a blank line', async () => {
    const server = await serve();
    const { host } = hostFor(server, { agentProfile: () => ({ systemPrompt: 'Agent prompt.' }) });
    const instructions = 'Answer in haiku.';
    const messages = [
      { role: 'system', content: 'Plugin system.' },
      { role: 'user', content: 'hi' },
    ];
    await host.complete(context({ instructions }), JSON.stringify({ model: '', messages }));
    await host.complete(context({ instructions, agentId: null }), JSON.stringify({ model: '', messages: [{ role: 'user', content: 'hi' }] }));
    expect(server.responses[0]!.request.messages[0]).toEqual({
      role: 'system',
      content: 'Agent prompt.\n\nPlugin system.\n\nAnswer in haiku.',
    });
    expect(server.responses[1]!.request.messages).toEqual([
      { role: 'system', content: 'Answer in haiku.' },
      { role: 'user', content: 'hi' },
    ]);
  });
});

describe('concurrency cap', () => {
  it('lets 2 calls per plugin run and fails the third fast with plugin_busy', async () => {
    const server = await serve({ reply: () => ({ kind: 'text', tokens: ['a', 'b'] }) });
    const { host } = hostFor(server);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    let bothStarted!: () => void;
    const bothStreaming = new Promise<void>((resolve) => {
      bothStarted = resolve;
    });
    const holdingChunk = async () => {
      started += 1;
      if (started === 2) bothStarted();
      await gate;
    };
    const first = host.completeStream(context(), chat({ stream_id: 'one' }), holdingChunk);
    const second = host.completeStream(context(), chat(), holdingChunk);
    await bothStreaming;
    expect(parse(await host.complete(context(), chat()))).toEqual({
      error: 'plugin_busy',
      message: 'Plugin already has 2 concurrent complete calls in flight. Retry after a previous call returns.',
      max_inflight: 2,
    });
    expect(parse(await host.embed(context(), JSON.stringify({ input: 'x' })))).toMatchObject({ error: 'plugin_busy' });
    expect(parse(await host.complete(context({ pluginId: 'com.example.other' }), chat()))).not.toHaveProperty('error');
    release();
    expect(parse(await first)).not.toHaveProperty('error');
    expect(parse(await second)).not.toHaveProperty('error');
    expect(parse(await host.complete(context(), chat()))).not.toHaveProperty('error');
  });
});
