import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';

/** `<home>/config/dev-proxy.json`: one plugin's web UI served from a dev server. */
export interface DevProxyConfig {
  plugin_id: string;
  web_proxy: string;
}

/** The dev-proxy file's path under the host home directory. */
export function devProxyFile(home: string): string {
  return join(home, 'config', 'dev-proxy.json');
}

/** Reads the dev-proxy file; re-read on every request so starting and stopping a dev loop needs no restart. */
export async function readDevProxy(home: string): Promise<DevProxyConfig | null> {
  try {
    const parsed = JSON.parse(await readFile(devProxyFile(home), 'utf8')) as Partial<DevProxyConfig>;
    if (typeof parsed.plugin_id !== 'string' || typeof parsed.web_proxy !== 'string') return null;
    return { plugin_id: parsed.plugin_id, web_proxy: parsed.web_proxy };
  } catch {
    return null;
  }
}

/** Target URL: `web_proxy` without its outer slashes + the path below the mount (`/` when empty) + the query. */
export function devProxyTarget(webProxy: string, rel: string, rawQuery: string): URL | null {
  const base = webProxy.trim().replace(/^\/+|\/+$/g, '');
  try {
    const target = new URL(`${base}${rel === '' ? '/' : rel}${rawQuery === '' ? '' : `?${rawQuery}`}`);
    return target.protocol === 'http:' || target.protocol === 'https:' ? target : null;
  } catch {
    return null;
  }
}

// Hop-by-hop and host-owned headers, plus the caller's credentials, which the dev server must not see.
const droppedRequestHeaders = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'x-osaurus-agent-id', 'authorization']);

export interface DevServerAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Forwards method, headers and body to the dev server and collects its answer; throws with the transport error. */
export function forwardToDevServer(request: IncomingMessage, target: URL, body: Buffer, timeoutMs: number): Promise<DevServerAnswer> {
  const headers: Record<string, string> = {};
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    if (!droppedRequestHeaders.has(name.toLowerCase())) headers[name] = request.rawHeaders[index + 1] as string;
  }
  if (body.length > 0) headers['Content-Length'] = String(body.length);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(target, { method: request.method, headers, timeout: timeoutMs }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        if (answer.statusCode === undefined) reject(new Error('no status'));
        else
          resolve({
            status: answer.statusCode,
            contentType: answer.headers['content-type'] ?? 'application/octet-stream',
            body: Buffer.concat(chunks),
          });
      });
      answer.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    outgoing.on('error', reject);
    outgoing.end(body.length > 0 ? body : undefined);
  });
}

/**
 * Tunnels a WebSocket upgrade (Vite HMR) to the dev server: the original
 * request line and headers (Host rewritten, credentials dropped), then bytes
 * both ways until either side closes.
 */
export function tunnelUpgrade(request: IncomingMessage, client: Duplex, head: Buffer, target: URL): void {
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const upstream: Socket =
    target.protocol === 'https:' ? tlsConnect({ host: target.hostname, port, servername: target.hostname }) : connect({ host: target.hostname, port });
  const lines = [`${request.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    const lower = name.toLowerCase();
    if (lower !== 'host' && lower !== 'x-osaurus-agent-id' && lower !== 'authorization') lines.push(`${name}: ${request.rawHeaders[index + 1]}`);
  }
  upstream.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const closeBoth = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', () => {
    if (!client.destroyed && client.writable && upstream.bytesRead === 0) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    } else closeBoth();
  });
  client.on('error', closeBoth);
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}
