import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tool call the scripted model makes; `arguments` is the JSON text the model emits. */
export interface ScriptedToolCall {
  name: string;
  arguments: string;
}

/** What the scripted model answers to one chat-completions request. */
export type ScriptedReply =
  /** Streams `reasoning` then `tokens`, one SSE chunk each, then `finishReason` (default `stop`). */
  | { kind: 'text'; tokens: string[]; reasoning?: string[]; finishReason?: 'stop' | 'length'; reportUsage?: boolean }
  /** Streams optional `tokens`, then the calls with their arguments split over several chunks. */
  | { kind: 'tool_calls'; calls: ScriptedToolCall[]; tokens?: string[] }
  /** 200 with SSE `data:` lines that are not JSON. */
  | { kind: 'garbage' }
  /** Streams `tokens`, then destroys the socket without a finish or `[DONE]`. */
  | { kind: 'close_mid_stream'; tokens: string[] }
  /** Streams `tokens`, then keeps the connection open and silent. */
  | { kind: 'stall'; tokens: string[] }
  /** Accepts the request and never sends a byte. */
  | { kind: 'hang' }
  /** Answers with an OpenAI error body and this HTTP status. */
  | { kind: 'http_error'; status: number; message: string }
  /**
   * Streams content tokens as a source (a real engine, say) yields them, then `stop`.
   * `signal` aborts when the client disconnects, so the source can stop generating.
   */
  | { kind: 'live'; tokens: (signal: AbortSignal) => AsyncIterable<string> };

/** A chat-completions request body as the server received it. */
export interface ReceivedChatRequest {
  model: string;
  messages: Array<Record<string, unknown>>;
  stream?: boolean;
  tools?: unknown[];
  [key: string]: unknown;
}

/** What the server observed about one chat-completions response. */
export interface ServedResponse {
  request: ReceivedChatRequest;
  authorization: string | undefined;
  /** SSE chunks that carried a token (content, reasoning or a tool-call fragment). */
  tokensSent: number;
  /** The server played its whole script (for `close_mid_stream`, up to and including the hang-up). */
  completed: boolean;
  /** The client went away before the response was complete. */
  clientDisconnected: boolean;
}

export interface FakeOpenAIServerOptions {
  /** Chat models listed by `GET /v1/models` (default `["fake-chat"]`). */
  models?: string[];
  /** Chooses the reply per request; `index` counts chat requests from 0. Default: echo the last user message. */
  reply?: (request: ReceivedChatRequest, index: number) => ScriptedReply;
  /** Delay before each streamed chunk (default 5 ms; 0 streams as fast as the socket allows). */
  tokenDelayMs?: number;
  /** Embedding vector length (default 8). */
  embeddingDimensions?: number;
  /** The server closes itself, and every connection, after this long (default 60 s). */
  lifetimeMs?: number;
}

export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>/v1`, ready for `new OpenAI({ baseURL })`. */
  baseURL: string;
  /** One record per chat-completions request, in arrival order. */
  responses: ServedResponse[];
  /** Resolves with the next response whose client disconnects early. */
  nextClientDisconnect(): Promise<ServedResponse>;
  close(): Promise<void>;
}

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 for tests and benches:
 * `GET /v1/models`, `POST /v1/chat/completions` (real SSE streamed token by
 * token, or one JSON body when `stream` is false) and `POST /v1/embeddings`.
 * It records what it served and notices when a client disconnects mid-stream.
 */
export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
  const models = options.models ?? ['fake-chat'];
  const reply = options.reply ?? echoLastUserMessage;
  const tokenDelayMs = options.tokenDelayMs ?? 5;
  const dimensions = options.embeddingDimensions ?? 8;
  const responses: ServedResponse[] = [];
  const events = new EventEmitter();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJSON(res, 500, { error: { message: String(error), type: 'server_error' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'GET' && path === '/v1/models') {
      sendJSON(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
      });
      return;
    }
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/embeddings')) {
      sendJSON(res, 404, { error: { message: `No route for ${req.method} ${path}`, type: 'invalid_request_error' } });
      return;
    }
    const body = await readJSON(req);
    if (path === '/v1/embeddings') {
      const inputs = Array.isArray(body['input']) ? body['input'] : [body['input']];
      sendJSON(res, 200, {
        object: 'list',
        model: body['model'],
        data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: embeddingOf(String(input), dimensions) })),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
      return;
    }
    const request = body as ReceivedChatRequest;
    const served: ServedResponse = {
      request,
      authorization: req.headers.authorization,
      tokensSent: 0,
      completed: false,
      clientDisconnected: false,
    };
    responses.push(served);
    res.on('close', () => {
      if (served.completed || served.clientDisconnected) return;
      served.clientDisconnected = true;
      events.emit('disconnect', served);
    });
    await serveChat(request, reply(request, responses.length - 1), served, res);
  }

  async function serveChat(request: ReceivedChatRequest, script: ScriptedReply, served: ServedResponse, res: ServerResponse) {
    if (script.kind === 'hang') return;
    if (script.kind === 'http_error') {
      sendJSON(res, script.status, { error: { message: script.message, type: 'server_error' } });
      served.completed = true;
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    const id = `chatcmpl-fake-${responses.length}`;
    const deltas = scriptDeltas(script);
    if (request.stream !== true && script.kind !== 'live') {
      served.tokensSent = deltas.length;
      served.completed = true;
      sendJSON(res, 200, nonStreamingBody(id, created, request, script, deltas.length));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const alive = () => !res.destroyed && !served.clientDisconnected;
    const write = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: request.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });

    if (script.kind === 'garbage') {
      write('this is not json');
      write('{"still": not json');
      served.completed = true;
      res.end();
      return;
    }
    let first = true;
    for await (const delta of script.kind === 'live' ? liveDeltas(script, res) : delayed(deltas, tokenDelayMs)) {
      if (!alive()) return;
      write(chunk(first ? { role: 'assistant', ...delta } : delta));
      first = false;
      served.tokensSent += 1;
    }
    if (!alive()) return;
    if (script.kind === 'close_mid_stream') {
      served.completed = true;
      res.socket?.destroy();
      return;
    }
    if (script.kind === 'stall') return;
    if (tokenDelayMs > 0) await sleep(tokenDelayMs);
    if (!alive()) return;
    write(chunk({}, script.kind === 'tool_calls' ? 'tool_calls' : script.kind === 'text' ? (script.finishReason ?? 'stop') : 'stop'));
    const includeUsage = (request['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage === true;
    if (includeUsage && (script.kind !== 'text' || script.reportUsage !== false)) {
      const prompt = estimatePromptTokens(request);
      write({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [], usage: usage(prompt, served.tokensSent) });
    }
    write('[DONE]');
    served.completed = true;
    res.end();
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  // Bounded: a forgotten server (or a hanging reply) cannot outlive the test run.
  const lifetime = setTimeout(close, options.lifetimeMs ?? 60_000);
  lifetime.unref();

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    responses,
    nextClientDisconnect: async () => (await once(events, 'disconnect'))[0] as ServedResponse,
    close,
  };
}

/** The default script: streams back the words of the last user message. */
export function echoLastUserMessage(request: ReceivedChatRequest): ScriptedReply {
  const lastUser = [...request.messages].reverse().find((message) => message['role'] === 'user');
  const text = typeof lastUser?.['content'] === 'string' ? lastUser['content'] : '';
  return { kind: 'text', tokens: text.split(/(?<= )/).filter((token) => token !== '') };
}

type Delta = Record<string, unknown>;

async function* delayed(deltas: Delta[], delayMs: number): AsyncGenerator<Delta> {
  for (const delta of deltas) {
    if (delayMs > 0) await sleep(delayMs);
    yield delta;
  }
}

async function* liveDeltas(script: Extract<ScriptedReply, { kind: 'live' }>, res: ServerResponse): AsyncGenerator<Delta> {
  const disconnect = new AbortController();
  const onClose = () => disconnect.abort();
  res.on('close', onClose);
  try {
    for await (const token of script.tokens(disconnect.signal)) {
      if (disconnect.signal.aborted) return;
      yield { content: token };
    }
  } finally {
    res.off('close', onClose);
  }
}

/** One SSE delta per token; a tool call is announced, then its arguments arrive in fragments. */
function scriptDeltas(script: ScriptedReply): Delta[] {
  switch (script.kind) {
    case 'text':
      return [
        ...(script.reasoning ?? []).map((token) => ({ reasoning_content: token })),
        ...script.tokens.map((token) => ({ content: token })),
      ];
    case 'tool_calls':
      return [
        ...(script.tokens ?? []).map((token) => ({ content: token })),
        ...script.calls.flatMap((call, index) => [
          { tool_calls: [{ index, id: `call_${index}_${call.name}`, type: 'function', function: { name: call.name, arguments: '' } }] },
          ...fragments(call.arguments, 8).map((part) => ({ tool_calls: [{ index, function: { arguments: part } }] })),
        ]),
      ];
    case 'close_mid_stream':
    case 'stall':
      return script.tokens.map((token) => ({ content: token }));
    default:
      return [];
  }
}

function nonStreamingBody(id: string, created: number, request: ReceivedChatRequest, script: ScriptedReply, completion: number) {
  const message: Record<string, unknown> = { role: 'assistant', content: null };
  let finishReason = 'stop';
  if (script.kind === 'text') {
    message['content'] = script.tokens.join('');
    finishReason = script.finishReason ?? 'stop';
  } else if (script.kind === 'tool_calls') {
    message['content'] = script.tokens?.join('') || null;
    message['tool_calls'] = script.calls.map((call, index) => ({
      id: `call_${index}_${call.name}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
    finishReason = 'tool_calls';
  }
  return {
    id,
    object: 'chat.completion',
    created,
    model: request.model,
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage: usage(estimatePromptTokens(request), completion),
  };
}

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function estimatePromptTokens(request: ReceivedChatRequest): number {
  return Math.ceil(JSON.stringify(request.messages).length / 4);
}

function fragments(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += size) parts.push(text.slice(start, start + size));
  return parts;
}

/** A deterministic unit-length vector, so equal inputs embed equally. */
function embeddingOf(text: string, dimensions: number): number[] {
  const vector = Array.from({ length: dimensions }, (_, index) => {
    let sum = index + 1;
    for (const char of text) sum = (sum * 31 + (char.codePointAt(0) ?? 0)) % 1009;
    return sum / 1009;
  });
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

async function readJSON(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
}

function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
