import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '@osr-host/manifest';
import { describe, expect, it } from 'vitest';
import {
  AccessKeyStore,
  injectOsaurusContext,
  matchRoute,
  mimeTypeFor,
  PluginRateLimiter,
  parsePluginUrl,
  parseQuery,
  parseRouteResponse,
  RoutesError,
  routeRequestJson,
} from './index.js';

const route = (id: string, path: string, methods = ['GET']) => ({ id, path, methods });

describe('matchRoute (upstream table)', () => {
  it.each([
    [[route('a', '/items/:id')], '/items/42', 'a', { id: '42' }],
    [[route('a', '/items/:id')], '/items/', null, null],
    [[route('a', '/items/:id')], '/items/abc/extra', null, null],
    [[route('a', '/posts/:name')], '/posts/hello%20world', 'a', { name: 'hello world' }],
    [[route('a', '/app/*')], '/app', 'a', {}],
    [[route('a', '/app/*')], '/app/a/b', 'a', {}],
    [[route('a', '/app/*')], '/application', null, null],
    [[route('p', '/items/:id'), route('f', '/items/featured')], '/items/featured', 'f', {}],
    [[route('w', '/items/*'), route('p', '/items/:id')], '/items/42', 'p', { id: '42' }],
    [[route('a', 'health')], '/health', 'a', {}],
    [[route('a', '/Health')], '/health', null, null],
    [[route('a', '/a/:x/:y')], '/a/%E0%A4%A/2', 'a', { x: '%E0%A4%A', y: '2' }],
  ])('%j %s → %s', (routes, subpath, id, params) => {
    const match = matchRoute(routes, 'GET', subpath);
    expect(match ? [match.route.id, match.params] : [null, null]).toEqual([id, params]);
  });

  it('compares methods case-insensitively and only among routes listing them', () => {
    expect(matchRoute([route('a', '/x', ['get'])], 'GET', '/x')?.route.id).toBe('a');
    expect(matchRoute([route('a', '/x', ['POST'])], 'get', '/x')).toBeNull();
  });
});

describe('parseQuery (upstream PluginQueryParamsTests)', () => {
  it('splits on &, first = separates, decodes both sides, keeps +, keys alone map to "", later duplicates win', () => {
    expect(parseQuery('a=1&b=x+y&c&a=2&k%20ey=v%3D=w&&osr_agent=z')).toEqual({ a: '2', b: 'x+y', c: '', 'k ey': 'v==w', osr_agent: 'z' });
    expect(parseQuery('')).toEqual({});
    expect(parseQuery('__proto__=x')).toEqual(JSON.parse('{"__proto__":"x"}'));
  });
});

describe('parsePluginUrl', () => {
  it('strips one API prefix and splits id and subpath, keeping the leading "/"', () => {
    expect(parsePluginUrl('/v1/api/plugins/p/a/b?q=1')).toEqual({ kind: 'plugin', pluginId: 'p', subpath: '/a/b', rawQuery: 'q=1' });
    expect(parsePluginUrl('/plugins/p/')).toEqual({ kind: 'plugin', pluginId: 'p', subpath: '/', rawQuery: '' });
    expect(parsePluginUrl('/plugins/p')).toEqual({ kind: 'invalid_route' });
    expect(parsePluginUrl('/plugins/p/..')).toEqual({ kind: 'invalid_path' });
    expect(parsePluginUrl('/health')).toBeNull();
    expect(parsePluginUrl('/v2/plugins/p/x')).toBeNull();
  });
});

describe('routeRequestJson', () => {
  it('sorts keys by code unit at every level, integer-like keys too, as upstream encodes them', () => {
    // parseQuery's object has no prototype, so "__proto__" is a key like any other.
    const query = parseQuery('b=1&9=2&A=3&10=4&__proto__=5');
    const text = routeRequestJson({
      route_id: 'r',
      remote_addr: '',
      query,
      plugin_id: 'p',
      path_params: { z: 'last', id: 'first' },
      path: '/x',
      osaurus: { plugin_url: 'u/plugins/p', base_url: 'u', agent_address: '' },
      method: 'GET',
      headers: { 'x-b': 'q"uote', accept: '*/*' },
      body_encoding: 'utf8',
      body: 'é\n',
    });
    expect(text).toBe(
      '{"body":"é\\n","body_encoding":"utf8","headers":{"accept":"*/*","x-b":"q\\"uote"},"method":"GET",' +
        '"osaurus":{"agent_address":"","base_url":"u","plugin_url":"u/plugins/p"},"path":"/x","path_params":{"id":"first","z":"last"},' +
        '"plugin_id":"p","query":{"10":"4","9":"2","A":"3","__proto__":"5","b":"1"},"remote_addr":"","route_id":"r"}',
    );
    expect(JSON.parse(text).body).toBe('é\n');
  });
});

describe('parseRouteResponse', () => {
  it('accepts status with optional headers, text or base64 bodies; drops framing headers', () => {
    const parsed = parseRouteResponse('{"status":201,"headers":{"X-A":"1","Content-Length":"999"},"body":"aGk=","body_encoding":"base64"}');
    expect(parsed).toEqual({ ok: true, response: { status: 201, headers: [['X-A', '1']], body: Buffer.from('hi') } });
    expect(parseRouteResponse('{"status":200,"body":"aGk=","body_encoding":"utf16"}')).toMatchObject({ ok: true, response: { body: Buffer.from('aGk=') } });
  });

  it.each([
    ['not json'],
    ['[]'],
    ['{"status":"200"}'],
    ['{"status":200.5}'],
    ['{"status":101}'],
    ['{"status":600}'],
    ['{"status":200,"headers":{"X-A":1}}'],
    ['{"status":200,"headers":{"X-A":"a\\r\\nSet-Cookie: x"}}'],
    ['{"status":200,"headers":{"bad name":"x"}}'],
    ['{"status":200,"body":42}'],
  ])('refuses %s as an invalid plugin response', (text) => {
    expect(parseRouteResponse(text)).toEqual({ ok: false, status: 500, message: 'Invalid plugin response' });
  });
});

describe('static web helpers', () => {
  it('maps extensions case-insensitively to upstream MIME types', () => {
    expect(['a.HTML', 'a.mjs', 'a.map', 'a.wasm', 'a.woff2', 'a.unknown', 'noext'].map(mimeTypeFor)).toEqual([
      'text/html; charset=utf-8',
      'application/javascript; charset=utf-8',
      'application/json',
      'application/wasm',
      'font/woff2',
      'application/octet-stream',
      'application/octet-stream',
    ]);
  });

  it('injects before the first </head> in any case, escapes script-breaking text, and leaves other pages alone', () => {
    const context = { pluginId: 'p', apiMount: '/api', agentId: '</script><b>' };
    const injected = Buffer.from(injectOsaurusContext(Buffer.from('<html><Head></HEAD><body></head></body>'), context)).toString();
    expect(injected.indexOf('window.__osaurus')).toBeLessThan(injected.indexOf('</HEAD>'));
    expect(injected.match(/window\.__osaurus = /g)).toHaveLength(1);
    expect(injected).not.toContain('</script><b>');
    const noHead = Buffer.from('<p>no head</p>');
    expect(injectOsaurusContext(noHead, context)).toBe(noHead);
    const notUtf8 = Buffer.from([0x3c, 0x2f, 0x68, 0x65, 0x61, 0x64, 0x3e, 0xff]);
    expect(injectOsaurusContext(notUtf8, context)).toBe(notUtf8);
  });
});

describe('PluginRateLimiter', () => {
  it('starts full at 100, refills 100 per minute, per plugin, and sweeps idle buckets', () => {
    let now = 0;
    const limiter = new PluginRateLimiter({ now: () => now });
    const granted = Array.from({ length: 101 }, () => limiter.tryAcquire('a')).filter(Boolean).length;
    expect(granted).toBe(100);
    expect(limiter.tryAcquire('b')).toBe(true);
    now += 599; // 0.998 tokens
    expect(limiter.tryAcquire('a')).toBe(false);
    now += 1;
    expect(limiter.tryAcquire('a')).toBe(true);
    now += 300_000;
    limiter.tryAcquire('c');
    expect(limiter.size).toBe(1);
  });
});

describe('AccessKeyStore', () => {
  it('mints osk-v1 keys, stores only their hashes (0600), verifies, lists without keys, revokes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'osr-keys-')), 'keys.json');
    const store = new AccessKeyStore(file);
    const { id, key } = store.mint('laptop');
    expect(key).toMatch(/^osk-v1-[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const reopened = new AccessKeyStore(file);
    expect(reopened.verify(key)).toBe(true);
    expect(reopened.verify(`${key}x`)).toBe(false);
    expect(reopened.list()).toEqual([{ id, label: 'laptop', createdAt: expect.any(String) }]);
    expect(reopened.revoke(id)).toBe(true);
    expect(reopened.revoke(id)).toBe(false);
    expect(new AccessKeyStore(file).verify(key)).toBe(false);
  });

  it('sees keys minted and revoked by another process at once, and a deleted or broken file grants nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'osr-keys-')), 'keys.json');
    const server = new AccessKeyStore(file);
    const cli = new AccessKeyStore(file);
    const { id, key } = cli.mint('phone');
    expect(server.verify(key)).toBe(true);
    const second = cli.mint('tablet');
    expect(cli.revoke(id)).toBe(true);
    expect(server.verify(key)).toBe(false);
    expect(server.verify(second.key)).toBe(true);
    expect(server.list().map((info) => info.label)).toEqual(['tablet']);
    writeFileSync(file, '{not json');
    expect(server.verify(second.key)).toBe(false);
    rmSync(file);
    expect(server.verify(second.key)).toBe(false);
  });

  it('refuses a corrupt key file with a RoutesError that says what to do', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'osr-keys-')), 'keys.json');
    writeFileSync(file, '{not json');
    const error = (() => {
      try {
        new AccessKeyStore(file);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RoutesError);
    expect(error).toMatchObject({ code: 'key_store_unreadable', message: expect.stringContaining('delete it and mint new keys') });
    expect((error as RoutesError).cause).toBeInstanceOf(SyntaxError);
    expect(existsSync(file)).toBe(true);
  });
});

describe('load-time shadowing (D6, from @osr-host/manifest)', () => {
  it('rejects a route the web mount would shadow, naming both', () => {
    const manifest = {
      plugin_id: 'p',
      capabilities: { routes: [{ id: 'health', path: '/health', methods: ['GET'], auth: 'none' }], web: { static_dir: 'web', entry: 'index.html', mount: '/', auth: 'none' } },
    };
    expect(() => loadManifest(manifest)).toThrow(/route '\/health' under web mount '\/'/);
  });
});
