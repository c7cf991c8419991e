import { afterEach } from 'vitest';
import { createInferenceHost, type InferenceHostOptions } from './host.js';
import type { InferenceContext } from './request.js';
import { type FakeOpenAIServer, type FakeOpenAIServerOptions, startFakeOpenAIServer } from './testing.js';

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A fake server closed after the test. */
export async function serve(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAIServer({ tokenDelayMs: 1, ...options });
  servers.push(server);
  return server;
}

/** A host whose only provider, `local`, is `server` serving `fake-chat`; warnings are collected. */
export function hostFor(server: FakeOpenAIServer, options: Partial<InferenceHostOptions> = {}) {
  const warnings: Array<{ key: string; message: string }> = [];
  const host = createInferenceHost({
    providers: [{ name: 'local', baseURL: server.baseURL, models: ['fake-chat'], embeddingModels: ['fake-embed'] }],
    warn: (key, message) => warnings.push({ key, message }),
    idleTimeoutMs: 5_000,
    ...options,
  });
  return { host, warnings };
}

export function context(overrides: Partial<InferenceContext> = {}): InferenceContext {
  return { pluginId: 'com.example.notes', agentId: 'AGENT-1', ...overrides };
}

/** A chat request JSON with one user message. */
export function chat(extra: Record<string, unknown> = {}, text = 'hello there'): string {
  return JSON.stringify({ model: '', messages: [{ role: 'user', content: text }], ...extra });
}

export interface ParsedChunk {
  id: string;
  choices: [{ index: number; delta: Record<string, unknown>; finish_reason?: string }];
}

/** An on_chunk that records every chunk, parsed. */
export function recorder() {
  const chunks: ParsedChunk[] = [];
  const onChunk = async (chunkJson: string) => {
    chunks.push(JSON.parse(chunkJson) as ParsedChunk);
  };
  return { chunks, onChunk };
}

export function deltas(chunks: ParsedChunk[]) {
  return chunks.map((chunk) => chunk.choices[0].delta);
}

/** A parsed envelope; tests read nested fields freely. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary JSON.
export type Envelope = Record<string, any>;

export function parse(envelope: string | null): Envelope {
  if (envelope === null) throw new Error('expected an envelope, got null');
  return JSON.parse(envelope) as Envelope;
}
