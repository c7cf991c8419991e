import { describe, expect, it } from 'vitest';
import { isHttpMethodToken, routePathIssues } from './route-path.js';

describe('routePathIssues', () => {
  it.each(['/', '/health', 'health', '/items/:id', '/items/:id/comments/:comment', '/app/*', '/*', '/posts/:name', '/a/b/', '/v1:beta'])(
    'accepts %j',
    (path) => {
      expect(routePathIssues(path)).toEqual([]);
    },
  );

  it.each<[string, RegExp]>([
    ['', /empty\. Use "\/"/],
    ['   ', /empty/],
    ['/search?q=1', /Remove the "\?…" or "#…" part/],
    ['/page#top', /Remove the "\?…" or "#…" part/],
    ['/files*', /mixes "\*" with text/],
    ['/*/x', /only allowed as the last segment/],
    ['/items/:', /needs a parameter name/],
    ['/a/:id/b/:id', /":id" appears twice/],
    ['/items/:id/*', /either ":param" segments or a trailing "\/\*"/],
  ])('refuses %j', (path, message) => {
    const issues = routePathIssues(path);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(message);
  });
});

describe('isHttpMethodToken', () => {
  it.each(['GET', 'get', 'PATCH', 'PROPFIND', 'M-SEARCH'])('accepts %j', (method) => {
    expect(isHttpMethodToken(method)).toBe(true);
  });

  it.each(['', 'GET POST', 'GET,POST', 'GÉT', ' GET'])('refuses %j', (method) => {
    expect(isHttpMethodToken(method)).toBe(false);
  });
});
