// complete and complete_stream against the package's own loopback OpenAI-compatible server (./testing).
import assert from 'node:assert/strict';
import { createInferenceHost } from '@osr-host/inference-stream';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';

const server = await startFakeOpenAIServer();
const host = createInferenceHost({ providers: [{ name: 'local', baseURL: server.baseURL }], warn: () => {} });
const ctx = { pluginId: 'dev.osr.smoke', agentId: null };
const request = JSON.stringify({ model: '', messages: [{ role: 'user', content: 'hello smoke' }] });
const complete = await host.complete(ctx, request);
assert.match(complete, /hello smoke/);
const chunks = [];
await host.completeStream(ctx, request, async (chunk) => void chunks.push(chunk));
assert.ok(chunks.length > 0);
const models = JSON.parse(await host.listModels(ctx));
await server.close();
console.log(`complete answered, complete_stream delivered ${chunks.length} chunks, list_models: ${models.models.map((m) => m.id).join(', ')}`);
