import { describe, expect, it } from 'vitest';
import { isSensitiveHeaderName, REDACTED, redactHeaders, redactHttpJson, redactUrl } from './index.js';

describe('header redaction', () => {
  it.each(['Authorization', 'cookie', 'Set-Cookie', 'Proxy-Authorization', 'X-Auth-Token', 'x-csrftoken', 'Token', 'X-Api-Key', 'client_secret'])(
    'treats %s as sensitive',
    (name) => {
      expect(isSensitiveHeaderName(name)).toBe(true);
    },
  );

  it.each(['Accept', 'Content-Type', 'User-Agent', 'X-Request-Id'])('leaves %s alone', (name) => {
    expect(isSensitiveHeaderName(name)).toBe(false);
  });

  it('replaces only sensitive values, keeping names', () => {
    expect(redactHeaders({ Authorization: 'Bearer abc', Accept: 'text/html', 'X-Refresh-Token': 'r' })).toEqual({
      Authorization: REDACTED,
      Accept: 'text/html',
      'X-Refresh-Token': REDACTED,
    });
  });

  it('redacts URL passwords and credential query values', () => {
    expect(redactUrl('https://me:hunter2@api.example/x?access_token=abc&page=2')).toBe(
      'https://me:redacted@api.example/x?access_token=redacted&page=2',
    );
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('redacts an http_request request and response JSON for logs', () => {
    const request = JSON.stringify({
      method: 'GET',
      url: 'https://api.example/?token=t',
      headers: { Cookie: 'sid=1', Accept: '*/*' },
    });
    expect(JSON.parse(redactHttpJson(request))).toEqual({
      method: 'GET',
      url: 'https://api.example/?token=redacted',
      headers: { Cookie: REDACTED, Accept: '*/*' },
    });
    const response = JSON.stringify({ status: 200, headers: { 'set-cookie': 'sid=2' }, body: 'ok' });
    expect(JSON.parse(redactHttpJson(response)).headers['set-cookie']).toBe(REDACTED);
    expect(redactHttpJson('plain text')).toBe('plain text');
  });
});
