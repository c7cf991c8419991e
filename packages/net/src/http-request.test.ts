import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNet, HTTP_LIMITS, type Net } from './index.js';
import { startDnsServer, type TestDnsServer } from './test-support/dns-server.js';
import { startRawServer, startServer, TEST_CA, type TestServer, unusedPort } from './test-support/servers.js';

const ctx = { pluginId: 'com.example.fetcher', agentId: 'A1B2C3D4-0000-4000-8000-000000000001' };

/** Either answer shape of `http_request`, loosely typed for assertions. */
interface Answer {
  raw: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  body_encoding: string;
  elapsed_ms: number;
  error?: string;
  message: string;
}

/** A request through `net`, parsed; the raw string is kept to check key order. */
async function call(net: Net, request: unknown): Promise<Answer> {
  const raw = (await net.httpRequest(ctx, typeof request === 'string' ? request : JSON.stringify(request)))!;
  return { raw, ...JSON.parse(raw) };
}

let plain: TestServer;
let secure: TestServer;
let plainV6: TestServer;
let dns: TestDnsServer;
let net: Net;

beforeAll(async () => {
  const echo = (status = 200) =>
    ((req, res, recorded) => {
      if (req.url === '/binary') {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(Buffer.from([0xff, 0x00, 0xfe, 0x80]));
        return;
      }
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Mixed-Case', 'yes');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end(
        JSON.stringify({
          method: recorded.method,
          url: recorded.url,
          headers: recorded.headers,
          body: recorded.body.toString('utf8'),
          servername: recorded.servername ?? null,
        }),
      );
    }) as Parameters<typeof startServer>[0];
  plain = await startServer(echo(), { maxRequests: 100 });
  secure = await startServer(echo(), { tls: true, maxRequests: 20 });
  plainV6 = await startServer(echo(), { host: '::1', maxRequests: 5 });
  dns = await startDnsServer({ 'pinned.test': { A: ['127.0.0.1'] } });
  net = createNet({
    home: '/nonexistent',
    allow: [plain.allowEntry, secure.allowEntry, plainV6.allowEntry, 'pinned.test:' + secure.port],
    dnsServers: [dns.server],
    extraCa: [TEST_CA],
    hostProduct: 'osr-host/9.9.9',
  });
});

afterAll(async () => {
  await Promise.all([plain.close(), secure.close(), plainV6.close(), dns.close()]);
});

describe('http_request: happy paths over loopback', () => {
  it('GETs over http and answers status, lower-cased headers, utf8 body and elapsed_ms, keys sorted', async () => {
    const answer = await call(net, { method: 'get', url: `${plain.origin}/hello?x=1` });
    expect(answer.status).toBe(200);
    expect(answer.body_encoding).toBe('utf8');
    expect(Number.isInteger(answer.elapsed_ms)).toBe(true);
    expect(answer.headers['x-mixed-case']).toBe('yes');
    expect(answer.headers['set-cookie']).toBe('a=1, b=2');
    expect(Object.keys(answer.headers).every((k) => k === k.toLowerCase())).toBe(true);
    const echoed = JSON.parse(answer.body);
    expect(echoed).toMatchObject({ method: 'GET', url: '/hello?x=1' });
    expect(echoed.headers.host).toBe(`127.0.0.1:${plain.port}`);
    expect(Object.keys(JSON.parse(answer.raw))).toEqual(['body', 'body_encoding', 'elapsed_ms', 'headers', 'status']);
  });

  it('appends host and plugin to the User-Agent, or sets it', async () => {
    const own = JSON.parse(
      (await call(net, { method: 'GET', url: plain.origin, headers: { 'user-agent': 'MyPlugin/1.0' } })).body,
    );
    expect(own.headers['user-agent']).toBe('MyPlugin/1.0 osr-host/9.9.9 Plugin/com.example.fetcher');
    const none = JSON.parse((await call(net, { method: 'GET', url: plain.origin })).body);
    expect(none.headers['user-agent']).toBe('osr-host/9.9.9 Plugin/com.example.fetcher');
  });

  it('sends utf8 and base64 bodies byte for byte, with the plugin headers', async () => {
    const text = JSON.parse(
      (
        await call(net, {
          method: 'POST',
          url: plain.origin,
          headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Trace': 'abc' },
          body: 'héllo ✓',
        })
      ).body,
    );
    expect(text).toMatchObject({ method: 'POST', body: 'héllo ✓' });
    expect(text.headers).toMatchObject({ 'x-trace': 'abc', 'content-length': String(Buffer.byteLength('héllo ✓')) });
    const binary = JSON.parse(
      (await call(net, { method: 'PUT', url: plain.origin, body: Buffer.from('hi there').toString('base64'), body_encoding: 'base64' }))
        .body,
    );
    expect(binary).toMatchObject({ method: 'PUT', body: 'hi there' });
  });

  it('turns URL userinfo into Basic authorization', async () => {
    const url = `http://me:p%40ss@127.0.0.1:${plain.port}/`;
    const seen = JSON.parse((await call(net, { method: 'GET', url })).body).headers;
    expect(seen.authorization).toBe(`Basic ${Buffer.from('me:p@ss').toString('base64')}`);
    const stray = JSON.parse((await call(net, { method: 'GET', url: `http://%zz@127.0.0.1:${plain.port}/` })).body).headers;
    expect(stray.authorization).toBe(`Basic ${Buffer.from('%zz:').toString('base64')}`);
  });

  it('answers a body that is not UTF-8 as base64', async () => {
    const answer = await call(net, { method: 'GET', url: `${plain.origin}/binary` });
    expect(answer.body_encoding).toBe('base64');
    expect(Buffer.from(answer.body, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x80]));
  });

  it('answers HEAD with an empty body', async () => {
    const answer = await call(net, { method: 'HEAD', url: plain.origin });
    expect(answer).toMatchObject({ status: 200, body: '', body_encoding: 'utf8' });
    expect(answer.headers['content-type']).toBe('application/json');
  });

  it('reaches an allow-listed IPv6 loopback server', async () => {
    const answer = await call(net, { method: 'GET', url: `${plainV6.origin}/six` });
    expect(JSON.parse(answer.body).headers.host).toBe(`[::1]:${plainV6.port}`);
  });

  it('GETs over https, trusting the test CA', async () => {
    const answer = await call(net, { method: 'GET', url: `${secure.origin}/tls` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ url: '/tls' });
  });

  it('connects to the address it checked, sending the name as SNI and Host (DNS pinning)', async () => {
    // pinned.test exists only on the test DNS server: the system resolver cannot have found it.
    const before = dns.queries.filter((q) => q === 'pinned.test A').length;
    const answer = await call(net, { method: 'GET', url: `https://pinned.test:${secure.port}/pin` });
    const echoed = JSON.parse(answer.body);
    expect(echoed.servername).toBe('pinned.test');
    expect(echoed.headers.host).toBe(`pinned.test:${secure.port}`);
    expect(dns.queries.filter((q) => q === 'pinned.test A').length).toBe(before + 1);
  });

  it('caps timeout_ms at 300 s instead of overflowing the timer', async () => {
    // Node fires timers longer than 2^31 ms at once; uncapped, this request would time out immediately.
    const answer = await call(net, { method: 'GET', url: plain.origin, timeout_ms: 1e12 });
    expect(answer.status).toBe(200);
  });
});

describe('http_request: bad input', () => {
  const BAD: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ['malformed JSON', '{"method":"GET",', /not valid JSON/],
    ['a JSON array', '[]', /JSON object/],
    ['missing url', { method: 'GET' }, /Missing required fields: method, url/],
    ['non-string method', { method: 1, url: 'http://example.com/' }, /Missing required fields/],
    ['method with a space', { method: 'GE T', url: 'http://example.com/' }, /valid HTTP method/],
    ['CONNECT', { method: 'CONNECT', url: 'http://example.com/' }, /CONNECT is not supported/],
    ['non-string header value', { method: 'GET', url: 'http://example.com/', headers: { 'X-N': 5 } }, /"X-N" must be a string/],
    ['null header value', { method: 'GET', url: 'http://example.com/', headers: { A: null } }, /"A" must be a string/],
    ['headers as an array', { method: 'GET', url: 'http://example.com/', headers: ['a'] }, /headers must be an object/],
    ['CRLF in a header value', { method: 'GET', url: 'http://example.com/', headers: { A: 'x\r\nB: y' } }, /not allowed/],
    ['invalid base64', { method: 'POST', url: 'http://example.com/', body: 'not base64!', body_encoding: 'base64' }, /valid base64/],
    ['unknown body_encoding', { method: 'POST', url: 'http://example.com/', body: 'x', body_encoding: 'hex' }, /body_encoding/],
    ['non-string body', { method: 'POST', url: 'http://example.com/', body: { a: 1 } }, /body must be a string/],
    ['negative timeout', { method: 'GET', url: 'http://example.com/', timeout_ms: -1 }, /timeout_ms/],
    ['string follow_redirects', { method: 'GET', url: 'http://example.com/', follow_redirects: 'no' }, /follow_redirects/],
    ['relative url', { method: 'GET', url: '/relative' }, /not a valid absolute URL/],
  ];

  it.each(BAD)('answers invalid_request for %s', async (_name, request, message) => {
    const answer = await call(net, request);
    expect(answer.error).toBe('invalid_request');
    expect(answer.message).toMatch(message);
  });

  it('answers null for a NULL request', async () => {
    expect(await net.httpRequest(ctx, null)).toBeNull();
  });

  it('refuses a body over 50 MB with request_too_large, before sending anything', async () => {
    const before = plain.connections;
    const answer = await call(net, { method: 'POST', url: plain.origin, body: 'a'.repeat(HTTP_LIMITS.maxRequestBytes + 1) });
    expect(answer).toMatchObject({ error: 'request_too_large', message: 'Request body exceeds 50MB limit' });
    const base64 = Buffer.alloc(HTTP_LIMITS.maxRequestBytes + 3).toString('base64');
    const encoded = await call(net, { method: 'POST', url: plain.origin, body: base64, body_encoding: 'base64' });
    expect(encoded.error).toBe('request_too_large');
    expect(plain.connections).toBe(before);
  });
});

describe('http_request: redirects', () => {
  let hub: TestServer;
  let other: TestServer;
  let tlsHub: TestServer;
  let forbidden: TestServer;
  let redirecting: Net;

  beforeAll(async () => {
    forbidden = await startServer((_req, res) => res.end('leaked'), { maxRequests: 5 });
    other = await startServer(
      (_req, res, recorded) => res.end(JSON.stringify({ headers: recorded.headers, method: recorded.method, body: recorded.body.toString() })),
      { maxRequests: 20 },
    );
    const route = (req: { url?: string }, res: import('node:http').ServerResponse, recorded: { method: string; headers: object; body: Buffer }) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const to = url.searchParams.get('to');
      const status = Number(url.searchParams.get('status') ?? 302);
      if (url.pathname.startsWith('/chain/')) {
        const left = Number(url.pathname.split('/')[2]);
        res.writeHead(302, { Location: left > 0 ? `/chain/${left - 1}` : '/end' }).end();
      } else if (to) {
        res.writeHead(status, { Location: to }).end('redirect body');
      } else {
        res.end(JSON.stringify({ path: url.pathname, method: recorded.method, headers: recorded.headers, body: recorded.body.toString() }));
      }
    };
    hub = await startServer(route, { maxRequests: 120 });
    tlsHub = await startServer(route, { tls: true, maxRequests: 10 });
    redirecting = createNet({
      home: '/nonexistent',
      allow: [hub.allowEntry, other.allowEntry, tlsHub.allowEntry],
      extraCa: [TEST_CA],
    });
  });

  afterAll(async () => {
    await Promise.all([hub.close(), other.close(), tlsHub.close(), forbidden.close()]);
  });

  it(`follows a chain of ${HTTP_LIMITS.maxRedirects} redirects`, async () => {
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/chain/${HTTP_LIMITS.maxRedirects - 1}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).path).toBe('/end');
  });

  it('stops at redirect 21 with too_many_redirects', async () => {
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/chain/${HTTP_LIMITS.maxRedirects}` });
    expect(answer).toMatchObject({ error: 'too_many_redirects', message: 'HTTP redirect limit exceeded' });
    expect(Number.isInteger(answer.elapsed_ms)).toBe(true);
  });

  it('returns the redirect itself when follow_redirects is false', async () => {
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/r?to=/elsewhere`, follow_redirects: false });
    expect(answer).toMatchObject({ status: 302, body: 'redirect body' });
    expect(answer.headers.location).toBe('/elsewhere');
  });

  it.each([301, 302, 303])('turns POST into a GET without body or Content-Type on %i', async (status) => {
    const answer = await call(redirecting, {
      method: 'POST',
      url: `${hub.origin}/r?status=${status}&to=/landing`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    const landed = JSON.parse(answer.body);
    expect(landed).toMatchObject({ path: '/landing', method: 'GET', body: '' });
    expect(landed.headers['content-type']).toBeUndefined();
  });

  it.each([307, 308])('keeps method and body on %i', async (status) => {
    const answer = await call(redirecting, {
      method: 'POST',
      url: `${hub.origin}/r?status=${status}&to=/landing`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    expect(JSON.parse(answer.body)).toMatchObject({ method: 'POST', body: '{"a":1}' });
  });

  const credentials = { Authorization: 'Bearer secret', Cookie: 'session=1', 'X-Keep': 'kept' };

  it('keeps Authorization and Cookie on a same-origin hop', async () => {
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/r?to=/same`, headers: credentials });
    expect(JSON.parse(answer.body).headers).toMatchObject({ authorization: 'Bearer secret', cookie: 'session=1' });
  });

  it('drops Authorization and Cookie on a cross-origin hop', async () => {
    const to = encodeURIComponent(`${other.origin}/x`);
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/r?to=${to}`, headers: credentials });
    const seen = JSON.parse(answer.body).headers;
    expect(seen['x-keep']).toBe('kept');
    expect(seen.authorization).toBeUndefined();
    expect(seen.cookie).toBeUndefined();
  });

  it('drops Authorization and Cookie on an https→http downgrade', async () => {
    const to = encodeURIComponent(`${hub.origin}/downgraded`);
    const answer = await call(redirecting, { method: 'GET', url: `${tlsHub.origin}/r?to=${to}`, headers: credentials });
    const landed = JSON.parse(answer.body);
    expect(landed.path).toBe('/downgraded');
    expect(landed.headers.authorization).toBeUndefined();
    expect(landed.headers.cookie).toBeUndefined();
  });

  it.each([
    ['a loopback server that is not allow-listed', (): string => `http://127.0.0.1:${forbidden.port}/`, 'loopback'],
    ['the metadata address', (): string => 'http://169.254.169.254/latest/meta-data/', 'link_local'],
    ['a decimal loopback form', (): string => `http://2130706433:${forbidden.port}/`, 'loopback'],
    ['a file URL', (): string => 'file:///etc/passwd', 'scheme'],
  ] as const)('re-checks each hop: a redirect to %s is ssrf_blocked', async (_name, target, reason) => {
    const answer = await call(redirecting, { method: 'GET', url: `${hub.origin}/r?to=${encodeURIComponent(target())}` });
    expect(answer).toMatchObject({ error: 'ssrf_blocked', reason });
    expect(forbidden.connections).toBe(0);
  });
});

describe('http_request: slow, huge, truncated and broken servers', () => {
  it('answers connection_timeout when the server never responds, and drops the connection', async () => {
    let dropped!: () => void;
    const droppedByClient = new Promise<void>((resolve) => {
      dropped = resolve;
    });
    const stalled = await startServer((req) => req.socket.once('close', dropped), { maxRequests: 1 });
    const local = createNet({ home: '/nonexistent', allow: [stalled.allowEntry] });
    const answer = await call(local, { method: 'GET', url: stalled.origin, timeout_ms: 200 });
    expect(answer).toMatchObject({ error: 'connection_timeout', message: 'Request timed out after 200 ms.' });
    expect(stalled.requests).toHaveLength(1);
    await droppedByClient;
    await stalled.close();
  });

  it('assembles a body the server trickles out in pieces', async () => {
    const trickle = await startServer(
      (_req, res) => {
        let sent = 0;
        const next = () => {
          if (sent === 20) return void res.end();
          res.write(`piece-${sent++};`);
          setTimeout(next, 5);
        };
        next();
      },
      { maxRequests: 1 },
    );
    const local = createNet({ home: '/nonexistent', allow: [trickle.allowEntry] });
    const answer = await call(local, { method: 'GET', url: trickle.origin });
    expect(answer.body).toBe(Array.from({ length: 20 }, (_, i) => `piece-${i};`).join(''));
    await trickle.close();
  });

  it('refuses a declared Content-Length over 50 MB without reading it', async () => {
    let bytesWritten = 0;
    const huge = await startServer(
      (_req, res) => {
        res.writeHead(200, { 'Content-Length': String(HTTP_LIMITS.maxResponseBytes + 1) });
        const chunk = Buffer.alloc(1 << 20);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk)) bytesWritten += chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
      { maxRequests: 1 },
    );
    const local = createNet({ home: '/nonexistent', allow: [huge.allowEntry] });
    const answer = await call(local, { method: 'GET', url: huge.origin });
    expect(answer).toMatchObject({ error: 'response_too_large', message: 'Response body exceeds 50MB limit' });
    expect(bytesWritten).toBeLessThan(HTTP_LIMITS.maxResponseBytes);
    await huge.close();
  });

  it('stops reading a chunked body once it passes 50 MB', async () => {
    const endless = await startServer(
      (_req, res) => {
        const chunk = Buffer.alloc(1 << 20, 'a');
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
      { maxRequests: 1 },
    );
    const local = createNet({ home: '/nonexistent', allow: [endless.allowEntry] });
    const answer = await call(local, { method: 'GET', url: endless.origin });
    expect(answer.error).toBe('response_too_large');
    await endless.close();
  });

  it('accepts a body of exactly 50 MB', async () => {
    const full = await startServer((_req, res) => res.end(Buffer.alloc(HTTP_LIMITS.maxResponseBytes, 'b')), {
      maxRequests: 1,
    });
    const local = createNet({ home: '/nonexistent', allow: [full.allowEntry] });
    const answer = await call(local, { method: 'GET', url: full.origin });
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(HTTP_LIMITS.maxResponseBytes);
    await full.close();
  });

  it.each([
    ['a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b'],
    ['a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'],
  ])('answers network_error when %s is cut short', async (_name, head) => {
    const cut = await startRawServer((socket) => socket.once('data', () => socket.end(head)));
    const local = createNet({ home: '/nonexistent', allow: [cut.allowEntry] });
    const answer = await call(local, { method: 'GET', url: cut.origin });
    expect(answer.error).toBe('network_error');
    expect(answer.message).toMatch(/before the response body was complete/);
    await cut.close();
  });

  it('answers invalid_response for a server that does not speak HTTP', async () => {
    const garbage = await startRawServer((socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    const local = createNet({ home: '/nonexistent', allow: [garbage.allowEntry] });
    const answer = await call(local, { method: 'GET', url: garbage.origin });
    expect(answer).toMatchObject({ error: 'invalid_response', message: 'Non-HTTP response' });
    await garbage.close();
  });

  it('answers connection_refused when nothing listens', async () => {
    const port = await unusedPort();
    const local = createNet({ home: '/nonexistent', allow: [`127.0.0.1:${port}`] });
    const answer = await call(local, { method: 'GET', url: `http://127.0.0.1:${port}/` });
    expect(answer.error).toBe('connection_refused');
  });

  it('answers tls_error when the certificate is not trusted', async () => {
    const untrusting = createNet({ home: '/nonexistent', allow: [secure.allowEntry] });
    const answer = await call(untrusting, { method: 'GET', url: secure.origin });
    expect(answer.error).toBe('tls_error');
  });

  it('answers tls_error when an https URL reaches a plain http server', async () => {
    const answer = await call(net, { method: 'GET', url: `https://127.0.0.1:${plain.port}/` });
    expect(answer.error).toBe('tls_error');
  });

  it('answers dns_failure for a name that does not resolve', async () => {
    const answer = await call(net, { method: 'GET', url: 'http://missing.test/' });
    expect(answer.error).toBe('dns_failure');
    const system = createNet({ home: '/nonexistent' });
    const viaSystem = await call(system, { method: 'GET', url: 'http://does-not-exist.invalid/' });
    expect(viaSystem.error).toBe('dns_failure');
    expect(Number.isInteger(viaSystem.elapsed_ms)).toBe(true);
  });
});

describe('http_request: rate limit', () => {
  it('allows 60 calls per (plugin, agent) in 60 s, then answers rate_limit_exceeded', async () => {
    const counted = await startServer((_req, res) => res.end('ok'), { maxRequests: 70 });
    const local = createNet({ home: '/nonexistent', allow: [counted.allowEntry] });
    const request = { method: 'GET', url: counted.origin };
    for (let i = 0; i < 60; i++) expect((await call(local, request)).status).toBe(200);
    const refused = await call(local, request);
    expect(JSON.parse(refused.raw)).toEqual({
      error: 'rate_limit_exceeded',
      message: 'http_request rate limit (60/60s) exceeded for this plugin and agent.',
      retry_after_ms: 60_000,
    });
    expect(counted.requests).toHaveLength(60);
    const otherAgent = JSON.parse((await local.httpRequest({ ...ctx, agentId: 'B0000000-0000-4000-8000-000000000002' }, JSON.stringify(request)))!);
    expect(otherAgent.status).toBe(200);
    await counted.close();
  });
});
