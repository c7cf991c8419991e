import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BlockReason, checkUrl, createNet, NetError, type Net, SsrfGuard } from './index.js';
import { startDnsServer, type TestDnsServer } from './test-support/dns-server.js';
import { startServer, type TestServer } from './test-support/servers.js';

const ctx = { pluginId: 'com.example.guarded', agentId: null };

let v4: TestServer;
let v6: TestServer;
let dns: TestDnsServer;
let guarded: Net;

beforeAll(async () => {
  // Counting servers on the loopback ports the hostile URLs aim at: any leak shows up as a connection.
  v4 = await startServer((_req, res) => res.end('leaked'), { maxRequests: 5 });
  v6 = await startServer((_req, res) => res.end('leaked'), { host: '::1', maxRequests: 5 });
  dns = await startDnsServer({
    'rebind.test': { A: ['127.0.0.1'] },
    'mixed.test': { A: ['203.0.113.10', '127.0.0.1'] },
    'v6only.test': { AAAA: ['::1'] },
    'mapped.test': { AAAA: ['::ffff:127.0.0.1'] },
    'metadata.test': { A: ['169.254.169.254'] },
    'intranet.test': { A: ['10.1.2.3'] },
    'cgn.test': { A: ['100.64.0.7'] },
    'ula.test': { AAAA: ['fd12:3456::1'] },
    'zero.test': { A: ['0.0.0.0'] },
  });
  // Empty allow-list: nothing on loopback is reachable.
  guarded = createNet({ home: '/nonexistent', dnsServers: [dns.server] });
});

afterAll(async () => {
  await Promise.all([v4.close(), v6.close(), dns.close()]);
});

/** [url template, expected reason]; `P4` / `P6` stand for the counting servers' ports. */
const HOSTILE: ReadonlyArray<readonly [string, BlockReason]> = [
  // IPv4 loopback in every textual form
  ['http://127.0.0.1:P4/', 'loopback'],
  ['http://127.0.0.1.:P4/', 'loopback'],
  ['http://127.1:P4/', 'loopback'],
  ['http://127.0.1:P4/', 'loopback'],
  ['http://2130706433:P4/', 'loopback'],
  ['http://0x7f000001:P4/', 'loopback'],
  ['http://0X7F000001:P4/', 'loopback'],
  ['http://017700000001:P4/', 'loopback'],
  ['http://0177.0.0.1:P4/', 'loopback'],
  ['http://0177.0000.0000.0001:P4/', 'loopback'],
  ['http://0x7f.0x0.0x0.0x1:P4/', 'loopback'],
  ['http://0x7f.1:P4/', 'loopback'],
  ['http://127.000.000.001:P4/', 'loopback'],
  ['http://127.255.255.254:P4/', 'loopback'],
  ['http://%31%32%37.0.0.1:P4/', 'loopback'],
  ['http://１２７.０.０.１:P4/', 'loopback'],
  ['HTTP://127.0.0.1:P4/', 'loopback'],
  ['http:/127.0.0.1:P4/', 'loopback'],
  ['http:\\\\127.0.0.1:P4\\', 'loopback'],
  ['https://127.0.0.1:P4/', 'loopback'],
  // userinfo and delimiter tricks whose real host is loopback
  ['http://evil.example@127.0.0.1:P4/', 'loopback'],
  ['http://evil.example:443@127.0.0.1:P4/', 'loopback'],
  ['http://a@b@127.0.0.1:P4/', 'loopback'],
  ['http://user:pass@[::1]:P6/', 'loopback'],
  ['http://127.0.0.1:P4#@evil.example/', 'loopback'],
  ['http://127.0.0.1:P4?@evil.example/', 'loopback'],
  ['http://127.0.0.1:P4\\@evil.example/', 'loopback'],
  // unspecified
  ['http://0:P4/', 'unspecified'],
  ['http://0.0.0.0:P4/', 'unspecified'],
  ['http://0x0:P4/', 'unspecified'],
  ['http://0.1.2.3/', 'unspecified'],
  // private, CGN, link-local / metadata, multicast, broadcast
  ['http://10.0.0.1/', 'private'],
  ['http://167772161/', 'private'],
  ['http://0x0a.0.0.1/', 'private'],
  ['http://172.16.0.1/', 'private'],
  ['http://172.31.255.255/', 'private'],
  ['http://192.168.1.1/', 'private'],
  ['http://192.168.257/', 'private'],
  ['http://100.64.0.1/', 'cgn'],
  ['http://100.127.255.254/', 'cgn'],
  ['http://169.254.169.254/latest/meta-data/', 'link_local'],
  ['http://2852039166/', 'link_local'],
  ['http://0xa9fea9fe/', 'link_local'],
  ['http://0251.0376.0251.0376/', 'link_local'],
  ['http://169.254.43518/', 'link_local'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://239.255.255.250:1900/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  // IPv6 literals, mapped and compatible forms in both notations
  ['http://[::1]:P6/', 'loopback'],
  ['http://[0:0:0:0:0:0:0:1]:P6/', 'loopback'],
  ['http://[0000::0001]:P6/', 'loopback'],
  ['http://[::]:P6/', 'unspecified'],
  ['http://[::ffff:127.0.0.1]:P4/', 'loopback'],
  ['http://[::ffff:7f00:1]:P4/', 'loopback'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]:P4/', 'loopback'],
  ['http://[::127.0.0.1]:P4/', 'loopback'],
  ['http://[::7f00:1]:P4/', 'loopback'],
  ['http://[::ffff:169.254.169.254]/', 'link_local'],
  ['http://[::ffff:a9fe:a9fe]/', 'link_local'],
  ['http://[::ffff:10.0.0.1]/', 'private'],
  ['http://[64:ff9b::127.0.0.1]/', 'loopback'],
  ['http://[2002:7f00:1::1]/', 'loopback'],
  ['http://[fe80::1]/', 'link_local'],
  ['http://[febf:ffff::1]/', 'link_local'],
  ['http://[fec0::1]/', 'site_local'],
  ['http://[fc00::1]/', 'unique_local'],
  ['http://[fd12:3456:789a::1]/', 'unique_local'],
  ['http://[ff02::1]/', 'multicast'],
  ['HtTpS://[::1]:P6/', 'loopback'],
  ['http://[::ffff:0:127.0.0.1]:P4/', 'loopback'],
  ['http://[::ffff:0.0.0.0]:P4/', 'unspecified'],
  // NAT64, 6to4 and Teredo addresses that a gateway would turn into a blocked IPv4 address
  ['http://[64:ff9b::a9fe:a9fe]/', 'link_local'],
  ['http://[64:ff9b:1::a00:1]/', 'private'],
  ['http://[2002:a9fe:a9fe::]/', 'link_local'],
  ['http://[2002:c0a8:101::1]/', 'private'],
  ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback'],
  ['http://[2001::5601:5601]/', 'link_local'],
  // trailing dots and mixed case
  ['http://0.0.0.0.:P4/', 'unspecified'],
  ['http://169.254.169.254./latest/meta-data/', 'link_local'],
  ['http://0x7f.0.0.1.:P4/', 'loopback'],
  ['hTtP://127.0.0.1:P4/', 'loopback'],
  ['http://[::1]:P6#@evil.example/', 'loopback'],
  // zone ids
  ['http://[fe80::1%25eth0]/', 'zone_id'],
  ['http://[::1%25lo]:P6/', 'zone_id'],
  ['http://[fe80::1%eth0]/', 'zone_id'],
  // names that always mean this machine
  ['http://localhost:P4/', 'localhost_name'],
  ['http://LOCALHOST:P4/', 'localhost_name'],
  ['http://localhost.:P4/', 'localhost_name'],
  ['http://ｌｏｃａｌｈｏｓｔ:P4/', 'localhost_name'],
  ['http://app.localhost:P4/', 'localhost_name'],
  ['http://a.b.localhost.:P4/', 'localhost_name'],
  ['http://ip6-localhost:P6/', 'localhost_name'],
  ['http://ip6-loopback:P6/', 'localhost_name'],
  ['http://localhost.localdomain:P4/', 'localhost_name'],
  // names that resolve to blocked addresses (checked after DNS)
  ['http://rebind.test:P4/', 'loopback'],
  ['http://mixed.test:P4/', 'loopback'],
  ['http://v6only.test:P6/', 'loopback'],
  ['http://mapped.test:P4/', 'loopback'],
  ['http://metadata.test/', 'link_local'],
  ['http://intranet.test/', 'private'],
  ['http://cgn.test/', 'cgn'],
  ['http://ula.test/', 'unique_local'],
  ['http://zero.test:P4/', 'unspecified'],
  ['http://rebind.test.:P4/', 'loopback'],
  ['http://ReBind.TEST:P4/', 'loopback'],
  ['http://evil.example@metadata.test/', 'link_local'],
  // schemes other than http(s)
  ['file:///etc/passwd', 'scheme'],
  ['data:text/plain,hello', 'scheme'],
  ['ftp://127.0.0.1:P4/', 'scheme'],
  ['gopher://127.0.0.1:P4/_GET', 'scheme'],
  ['ws://127.0.0.1:P4/', 'scheme'],
  ['javascript:fetch("http://127.0.0.1/")', 'scheme'],
  ['blob:http://127.0.0.1:P4/x', 'scheme'],
  ['dict://127.0.0.1:P4/info', 'scheme'],
  ['ldap://127.0.0.1:P4/', 'scheme'],
  ['HTTPX://127.0.0.1:P4/', 'scheme'],
];

describe('SSRF guard: hostile URLs', () => {
  it('has at least 60 hostile URLs', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60);
  });

  it.each(HOSTILE)('%s is refused as %s', async (template, reason) => {
    const url = template.replace('P4', String(v4.port)).replace('P6', String(v6.port));
    const answer = JSON.parse((await guarded.httpRequest(ctx, JSON.stringify({ method: 'GET', url })))!);
    expect(answer).toMatchObject({ error: 'ssrf_blocked', reason });
    expect(answer.message).toMatch(/^Requests to .+ are blocked \(SSRF protection\): .+/);
  });

  it('let no hostile URL reach a loopback server', () => {
    expect(v4.connections).toBe(0);
    expect(v6.connections).toBe(0);
  });

  it('names cloud metadata in the link-local message', async () => {
    const answer = JSON.parse(
      (await guarded.httpRequest(ctx, '{"method":"GET","url":"http://169.254.169.254/latest/meta-data/"}'))!,
    );
    expect(answer.message).toContain('metadata');
  });

  it('checks every resolved address, refusing a name when any one is blocked', async () => {
    const answer = JSON.parse((await guarded.httpRequest(ctx, '{"method":"GET","url":"http://mixed.test/"}'))!);
    expect(answer.message).toContain('mixed.test resolves to 127.0.0.1');
  });
});

describe('SSRF guard: DNS rebinding', () => {
  let standIn: TestServer;
  let rebinding: TestDnsServer;
  let net: Net;

  beforeAll(async () => {
    // The allow-listed loopback server stands in for the public host the name first resolves to.
    standIn = await startServer(
      (req, res) => (req.url === '/hop' ? res.writeHead(302, { Location: '/landed' }).end() : res.end('public')),
      { maxRequests: 5 },
    );
    rebinding = await startDnsServer({
      'flip.test': [{ A: ['127.0.0.1'] }, { A: ['169.254.169.254'] }],
      'hop.test': [{ A: ['127.0.0.1'] }, { A: ['10.0.0.1'] }],
    });
    net = createNet({ home: '/nonexistent', dnsServers: [rebinding.server], allow: [standIn.allowEntry] });
  });

  afterAll(async () => {
    await Promise.all([standIn.close(), rebinding.close()]);
  });

  it('resolves again for each request: a name that turns private is refused the second time', async () => {
    const url = `http://flip.test:${standIn.port}/`;
    const first = JSON.parse((await net.httpRequest(ctx, JSON.stringify({ method: 'GET', url })))!);
    expect(first).toMatchObject({ status: 200, body: 'public' });
    const second = JSON.parse((await net.httpRequest(ctx, JSON.stringify({ method: 'GET', url })))!);
    expect(second).toMatchObject({ error: 'ssrf_blocked', reason: 'link_local' });
    expect(second.message).toContain('flip.test resolves to 169.254.169.254');
  });

  it('resolves again for each redirect hop: a same-name redirect after the name turned private is refused', async () => {
    const answer = JSON.parse(
      (await net.httpRequest(ctx, JSON.stringify({ method: 'GET', url: `http://hop.test:${standIn.port}/hop` })))!,
    );
    expect(answer).toMatchObject({ error: 'ssrf_blocked', reason: 'private' });
    expect(standIn.requests.map((request) => request.url)).toEqual(['/', '/hop']);
    expect(rebinding.queries.filter((query) => query === 'hop.test A')).toHaveLength(2);
  });
});

describe('SSRF guard: exceptions', () => {
  it('admits an allow-listed host:port, and only that port', () => {
    const guard = new SsrfGuard({ allow: ['127.0.0.1:8080', '[::1]:8443', 'Service.Internal:5432'] });
    expect(guard.checkUrl('http://127.0.0.1:8080/x')).toMatchObject({ ok: true, allowListed: true });
    expect(guard.checkUrl('http://2130706433:8080/x')).toMatchObject({ ok: true, allowListed: true });
    expect(guard.checkUrl('https://[::1]:8443/')).toMatchObject({ ok: true, allowListed: true });
    expect(guard.checkUrl('http://service.internal:5432/')).toMatchObject({ ok: true, allowListed: true });
    expect(guard.checkUrl('http://127.0.0.1:8081/')).toMatchObject({ ok: false, reason: 'loopback' });
    expect(guard.checkUrl('http://127.0.0.1/')).toMatchObject({ ok: false, reason: 'loopback' });
  });

  it('admits the plugin-route server origin, and nothing else on its host', () => {
    const guard = new SsrfGuard({ pluginRouteOrigin: 'http://127.0.0.1:1337' });
    expect(guard.checkUrl('http://127.0.0.1:1337/plugins/other/route')).toMatchObject({ ok: true, allowListed: true });
    expect(guard.checkUrl('https://127.0.0.1:1337/')).toMatchObject({ ok: false, reason: 'loopback' });
    expect(guard.checkUrl('http://127.0.0.1:1338/')).toMatchObject({ ok: false, reason: 'loopback' });
  });

  it('refuses malformed allow-list entries and origins with NetError', () => {
    for (const allow of ['127.0.0.1', '::1:8080', 'host:0', 'host:70000', '[::zz]:80', 'a b:80']) {
      expect(() => new SsrfGuard({ allow: [allow] })).toThrow(NetError);
    }
    expect(() => new SsrfGuard({ pluginRouteOrigin: 'ftp://127.0.0.1:21' })).toThrow(/not an http\(s\) origin/);
  });

  it('passes public addresses and names through the static check', () => {
    expect(checkUrl('https://93.184.215.14/')).toMatchObject({ ok: true, allowListed: false, host: '93.184.215.14' });
    expect(checkUrl('http://100.63.255.255/')).toMatchObject({ ok: true });
    expect(checkUrl('http://[2606:4700::1111]/')).toMatchObject({ ok: true, host: '2606:4700::1111' });
    expect(checkUrl('https://Example.COM./a')).toMatchObject({ ok: true, host: 'example.com', port: 443 });
  });

  it('answers invalid_request for text that is not a URL', () => {
    expect(checkUrl('not a url')).toMatchObject({ ok: false, error: 'invalid_request' });
    expect(checkUrl('http://1.2.3.08/')).toMatchObject({ ok: false, error: 'invalid_request' });
  });
});
