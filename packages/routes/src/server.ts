import http, { type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PluginRouter } from './router.js';

export const DEFAULT_PORT = 1337;

export interface ServerLimits {
  /** Total header bytes (default 1 MiB, upstream's); more → 431 from Node's parser. */
  maxHeaderBytes?: number;
  /** Whole-request deadline, slow bodies included (default 300 000 ms); past it → 408 and the socket closes. */
  requestTimeoutMs?: number;
  /** Deadline for the headers alone (default 60 000 ms), against slowloris clients. */
  headersTimeoutMs?: number;
  /** How often Node checks the two deadlines above (default 30 000 ms; lower it with short deadlines). */
  checkIntervalMs?: number;
}

/** node:http options with the plugin surface's limits, for a host that creates its own server. */
export function pluginServerOptions(limits: ServerLimits = {}): ServerOptions {
  const requestTimeout = limits.requestTimeoutMs ?? 300_000;
  return {
    maxHeaderSize: limits.maxHeaderBytes ?? 1024 * 1024,
    requestTimeout,
    // Node requires the headers deadline to fit inside the request deadline.
    headersTimeout: Math.min(limits.headersTimeoutMs ?? 60_000, requestTimeout),
    connectionsCheckingInterval: limits.checkIntervalMs ?? 30_000,
  };
}

export interface PluginServer {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A loopback server that answers only the plugin surface (404 elsewhere).
 * Pass `port: 0` for any free port; the router's `baseUrl` can read `url` afterwards.
 */
export async function listenPluginServer(router: PluginRouter, options: ServerLimits & { port?: number; host?: string } = {}): Promise<PluginServer> {
  const server = http.createServer(pluginServerOptions(options), (request, response) => {
    if (router.handle(request, response)) return;
    response.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: { message: 'Not found' } }));
  });
  server.on('upgrade', (request, socket, head) => {
    if (!router.handleUpgrade(request, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
