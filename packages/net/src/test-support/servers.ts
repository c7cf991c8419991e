import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';

const tlsDir = new URL('./tls/', import.meta.url);
/** The test CA; the server certificate it signs covers 127.0.0.1, ::1, localhost and pinned.test. */
export const TEST_CA = readFileSync(new URL('ca.crt', tlsDir), 'utf8');
const TEST_CERT = readFileSync(new URL('server.crt', tlsDir), 'utf8');
const TEST_KEY = readFileSync(new URL('server.key', tlsDir), 'utf8');

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** SNI name the client sent (https only). */
  servername: string | undefined;
}

export interface TestServer {
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` or `https://[::1]:PORT`. */
  origin: string;
  /** `host:port` for an allow-list. */
  allowEntry: string;
  /** TCP connections accepted so far. */
  connections: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ServerOptions {
  host?: '127.0.0.1' | '::1';
  tls?: boolean;
  /** The server closes itself after this many requests. */
  maxRequests?: number;
  /** The server closes itself after this long, whatever happens. */
  lifetimeMs?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void;

function describe(server: net.Server, host: string, scheme: string) {
  const { port } = server.address() as AddressInfo;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return { host, port, origin: `${scheme}://${bracketed}:${port}`, allowEntry: `${bracketed}:${port}` };
}

function bounded(server: net.Server, lifetimeMs: number, destroyAll: () => void): () => Promise<void> {
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => resolve());
      destroyAll();
    });
    return closed;
  };
  const timer = setTimeout(close, lifetimeMs);
  timer.unref();
  return close;
}

/** A loopback HTTP(S) server that records what it receives; bounded in requests and time. */
export function startServer(handler: Handler, options: ServerOptions = {}): Promise<TestServer> {
  const { host = '127.0.0.1', tls = false, maxRequests = 100, lifetimeMs = 60_000 } = options;
  const server = tls ? https.createServer({ cert: TEST_CERT, key: TEST_KEY }) : http.createServer();
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: [] as RecordedRequest[] };
  const close = bounded(server, lifetimeMs, () => {
    for (const socket of sockets) socket.destroy();
  });
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        servername: (req.socket as { servername?: string }).servername,
      };
      state.requests.push(recorded);
      handler(req, res, recorded);
      if (state.requests.length >= maxRequests) res.on('finish', () => void close());
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolve(
        Object.assign(state, describe(server, host, tls ? 'https' : 'http'), {
          close,
        }) as TestServer,
      );
    });
  });
}

/** A loopback TCP server that hands each raw socket to `onSocket` (non-HTTP and broken responses). */
export function startRawServer(
  onSocket: (socket: Socket) => void,
  options: { lifetimeMs?: number } = {},
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, requests: [] as RecordedRequest[] };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  const close = bounded(server, options.lifetimeMs ?? 60_000, () => {
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve(Object.assign(state, describe(server, '127.0.0.1', 'http'), { close }) as TestServer);
    });
  });
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
