import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceHost, type InferenceHost } from './host.js';
import { context, deltas, parse, recorder } from './test-fixture.js';
import { type FakeOpenAIServer, type ReceivedChatRequest, startFakeOpenAIServer } from './testing.js';

// Real llama.cpp inference behind the loopback server, fully offline: the model is a tiny
// random-weight llama GGUF written by this test. node-llama-cpp installs 725 MB, so it is not
// a dependency; point OSR_HOST_NODE_LLAMA_CPP at an installed copy to run this file:
//   npm install --prefix /tmp/llama node-llama-cpp@3.22.1
//   OSR_HOST_NODE_LLAMA_CPP=/tmp/llama/node_modules/node-llama-cpp npx vitest run src/real-engine.test.ts
const enginePackage = process.env['OSR_HOST_NODE_LLAMA_CPP'];
const MAX_TOKENS = 400;

/** The slice of node-llama-cpp this test uses. */
interface Engine {
  getLlama(options: { gpu: false; build: 'never' }): Promise<{
    loadModel(options: { modelPath: string }): Promise<{
      createContext(options: { contextSize: number; threads: number }): Promise<{ getSequence(): unknown }>;
    }>;
  }>;
  LlamaCompletion: new (options: { contextSequence: unknown }) => {
    generateCompletionWithMeta(
      prompt: string,
      options: { maxTokens: number; signal: AbortSignal; stopOnAbortSignal: true; onTextChunk(text: string): void },
    ): Promise<{ response: string; metadata: { stopReason: string } }>;
  };
}

describe.skipIf(!enginePackage)('real engine: node-llama-cpp on a generated tiny GGUF', () => {
  const generations: Array<{ stopReason: string; chunks: number }> = [];
  let workDir = '';
  let server: FakeOpenAIServer;
  let host: InferenceHost;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'osr-tiny-gguf-'));
    const modelPath = join(workDir, 'tiny-llama.gguf');
    writeFileSync(modelPath, tinyLlamaGGUF());
    const engine = (await import(pathToFileURL(join(resolve(enginePackage!), 'dist/index.js')).href)) as Engine;
    const llama = await engine.getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath });
    // One thread: more spin-contend on a small shared machine.
    const sequence = (await model.createContext({ contextSize: 512, threads: 1 })).getSequence();

    async function* generate(request: ReceivedChatRequest, signal: AbortSignal): AsyncGenerator<string> {
      const prompt = request.messages.map((message) => String(message['content'] ?? '')).join('\n');
      const pending: string[] = [];
      let finished = false;
      let wake = () => {};
      let chunks = 0;
      const generation = new engine.LlamaCompletion({ contextSequence: sequence })
        .generateCompletionWithMeta(prompt, {
          maxTokens: MAX_TOKENS,
          signal,
          stopOnAbortSignal: true,
          onTextChunk: (text) => {
            chunks += 1;
            pending.push(text);
            wake();
          },
        })
        .then((result) => generations.push({ stopReason: result.metadata.stopReason, chunks }))
        .finally(() => {
          finished = true;
          wake();
        });
      while (!finished || pending.length > 0) {
        const text = pending.shift();
        if (text !== undefined) yield text;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
      await generation;
    }

    server = await startFakeOpenAIServer({ reply: (request) => ({ kind: 'live', tokens: (signal) => generate(request, signal) }) });
    host = createInferenceHost({ providers: [{ name: 'local', baseURL: server.baseURL, models: ['tiny-llama'] }], warn: () => {} });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('streams generated tokens through completeStream, with usage', async () => {
    const { chunks, onChunk } = recorder();
    const aggregate = parse(await host.completeStream(context(), JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'hello' }] }), onChunk));
    const generation = generations.at(-1)!;
    expect(generation.stopReason).toBe('maxTokens');
    const contentChunks = deltas(chunks).filter((delta) => typeof delta['content'] === 'string');
    expect(contentChunks).toHaveLength(generation.chunks);
    expect(aggregate.choices[0].message.content).toBe(contentChunks.map((delta) => delta['content']).join(''));
    expect(aggregate.usage.completion_tokens).toBe(generation.chunks);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
  });

  it('a cancel from on_chunk reaches the engine, which stops generating', async () => {
    const { chunks, onChunk } = recorder();
    const result = parse(
      await host.completeStream(context(), JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'again' }], stream_id: 'gen' }), async (json) => {
        await onChunk(json);
        if (chunks.length === 3) host.completeCancel(context(), 'gen');
      }),
    );
    expect(result).toMatchObject({ error: 'cancelled', usage: { completion_tokens: 3 } });
    await expect.poll(() => generations.length).toBe(2);
    expect(generations[1]!.stopReason).toBe('abort');
    expect(generations[1]!.chunks).toBeLessThan(MAX_TOKENS);
  });
});

/**
 * A GGUF v3 llama model with random F32 weights: 64-wide, 2 layers, 4 heads, and an SPM vocabulary
 * of 3 specials, 256 byte tokens and 62 letters and digits. The output rows of all but the letters
 * and digits are zero, so greedy decoding emits one visible character per token and never ends early.
 */
function tinyLlamaGGUF(): Buffer {
  const [nEmbd, nLayer, nHead, nFf] = [64, 2, 4, 128];
  const letters = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
  const bytes = Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
  const tokens = ['<unk>', '<s>', '</s>', ...bytes, ...letters];
  const firstLetter = 3 + bytes.length;
  const nVocab = tokens.length;

  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const tensors: Array<{ name: string; dims: number[]; data: Float32Array }> = [];
  const tensor = (name: string, dims: number[], value: (index: number) => number) => {
    const size = dims.reduce((product, dim) => product * dim, 1);
    tensors.push({ name, dims, data: Float32Array.from({ length: size }, (_, index) => value(index)) });
  };
  tensor('token_embd.weight', [nEmbd, nVocab], () => random());
  tensor('output_norm.weight', [nEmbd], () => 1);
  tensor('output.weight', [nEmbd, nVocab], (index) => (Math.floor(index / nEmbd) >= firstLetter ? random() : 0));
  for (let layer = 0; layer < nLayer; layer++) {
    const block = `blk.${layer}`;
    tensor(`${block}.attn_norm.weight`, [nEmbd], () => 1);
    for (const name of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) tensor(`${block}.${name}.weight`, [nEmbd, nEmbd], () => random() * 0.2);
    tensor(`${block}.ffn_norm.weight`, [nEmbd], () => 1);
    tensor(`${block}.ffn_gate.weight`, [nEmbd, nFf], () => random() * 0.2);
    tensor(`${block}.ffn_up.weight`, [nEmbd, nFf], () => random() * 0.2);
    tensor(`${block}.ffn_down.weight`, [nFf, nEmbd], () => random() * 0.2);
  }

  const out: Buffer[] = [];
  const push = (size: number, write: (buffer: Buffer) => void) => {
    const buffer = Buffer.alloc(size);
    write(buffer);
    out.push(buffer);
  };
  const u32 = (value: number) => push(4, (buffer) => buffer.writeUInt32LE(value));
  const i32 = (value: number) => push(4, (buffer) => buffer.writeInt32LE(value));
  const f32 = (value: number) => push(4, (buffer) => buffer.writeFloatLE(value));
  const u64 = (value: number) => push(8, (buffer) => buffer.writeBigUInt64LE(BigInt(value)));
  const text = (value: string) => {
    const encoded = Buffer.from(value, 'utf8');
    u64(encoded.length);
    out.push(encoded);
  };
  const [UINT32, INT32, FLOAT32, STRING, ARRAY] = [4, 5, 6, 8, 9];
  const array = (type: number, values: unknown[], write: (value: never) => void) => {
    u32(ARRAY);
    u32(type);
    u64(values.length);
    for (const value of values) write(value as never);
  };
  const typed = (type: number, write: () => void) => () => {
    u32(type);
    write();
  };
  const typedString = (value: string) => typed(STRING, () => text(value));
  const typedUint = (value: number) => typed(UINT32, () => u32(value));
  const typedFloat = (value: number) => typed(FLOAT32, () => f32(value));
  const metadata: Array<[string, () => void]> = [
    ['general.architecture', typedString('llama')],
    ['general.name', typedString('tiny-llama')],
    ['general.file_type', typedUint(0)],
    ['llama.context_length', typedUint(512)],
    ['llama.embedding_length', typedUint(nEmbd)],
    ['llama.block_count', typedUint(nLayer)],
    ['llama.feed_forward_length', typedUint(nFf)],
    ['llama.attention.head_count', typedUint(nHead)],
    ['llama.attention.head_count_kv', typedUint(nHead)],
    ['llama.rope.dimension_count', typedUint(nEmbd / nHead)],
    ['llama.attention.layer_norm_rms_epsilon', typedFloat(1e-5)],
    ['tokenizer.ggml.model', typedString('llama')],
    ['tokenizer.ggml.tokens', () => array(STRING, tokens, text)],
    ['tokenizer.ggml.scores', () => array(FLOAT32, tokens.map((_, id) => (id >= firstLetter ? -id : 0)), f32)],
    ['tokenizer.ggml.token_type', () => array(INT32, tokens.map((_, id) => (id === 0 ? 2 : id < 3 ? 3 : id < firstLetter ? 6 : 1)), i32)],
    ['tokenizer.ggml.bos_token_id', typedUint(1)],
    ['tokenizer.ggml.eos_token_id', typedUint(2)],
    ['tokenizer.ggml.unknown_token_id', typedUint(0)],
  ];

  const ALIGNMENT = 32;
  const aligned = (offset: number) => Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
  out.push(Buffer.from('GGUF'));
  u32(3);
  u64(tensors.length);
  u64(metadata.length);
  for (const [key, write] of metadata) {
    text(key);
    write();
  }
  let offset = 0;
  for (const { name, dims, data } of tensors) {
    text(name);
    u32(dims.length);
    for (const dim of dims) u64(dim);
    u32(0); // GGML_TYPE_F32
    u64(offset);
    offset = aligned(offset + data.byteLength);
  }
  const header = Buffer.concat(out);
  const dataSection = Buffer.alloc(offset);
  let position = 0;
  for (const { data } of tensors) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(dataSection, position);
    position = aligned(position + data.byteLength);
  }
  return Buffer.concat([header, Buffer.alloc(aligned(header.length) - header.length), dataSection]);
}
