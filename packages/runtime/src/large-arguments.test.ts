import { describe, expect, it } from 'vitest';
import { argumentsOffLoop, compactJsonArgument, OFF_LOOP_ARGUMENT_BYTES } from './large-arguments.js';

describe('compactJsonArgument', () => {
  it('keeps only the http_request fields HOST_API.md defines, unchanged', () => {
    const request = {
      method: 'POST',
      url: 'https://example.com/',
      headers: { 'x-a': '1' },
      body: 'hello',
      body_encoding: 'utf8',
      timeout_ms: 5,
      follow_redirects: false,
      pad: [{ a: 0 }, { a: 1 }],
    };
    const { pad: _pad, ...defined } = request;
    expect(JSON.parse(compactJsonArgument(JSON.stringify(request), 'http_request'))).toEqual(defined);
    // JSON's own "__proto__" key is no field either.
    expect(JSON.parse(compactJsonArgument('{"url":"u","__proto__":{"method":"GET"}}', 'http_request'))).toEqual({ url: 'u' });
  });

  it('keeps a non-string body a non-string, and a non-object request its kind', () => {
    expect(JSON.parse(compactJsonArgument('{"url":"u","body":[1,2,3]}', 'http_request'))).toEqual({ url: 'u', body: false });
    expect(JSON.parse(compactJsonArgument('{"url":"u","body":null}', 'http_request'))).toEqual({ url: 'u', body: null });
    expect(compactJsonArgument('[{"method":"GET"}]', 'http_request')).toBe('[]');
    expect(compactJsonArgument('"a long string"', 'http_request')).toBe('null');
  });

  it('returns text that is not JSON as it came, so the implementation reports it', () => {
    expect(compactJsonArgument('{"method":"GET",', 'http_request')).toBe('{"method":"GET",');
  });
});

describe('argumentsOffLoop', () => {
  const large = JSON.stringify({ method: 'GET', url: 'https://example.com/', pad: 'x'.repeat(OFF_LOOP_ARGUMENT_BYTES) });

  it('serves a large http_request argument compacted on the worker', async () => {
    expect(await argumentsOffLoop('http_request', [large], [Buffer.byteLength(large)])).toEqual(['{"method":"GET","url":"https://example.com/"}']);
  });

  it('serves small arguments and slots that read their whole argument as they came', async () => {
    const small = '{"method":"GET","url":"u","pad":1}';
    expect(await argumentsOffLoop('http_request', [small], [small.length])).toEqual([small]);
    expect(await argumentsOffLoop('log_structured', ['message', large], [7, Buffer.byteLength(large)])).toEqual(['message', large]);
  });
});
