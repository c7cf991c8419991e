import { describe, expect, it } from 'vitest';
import { normalizeWebMount, shadowedRouteMessage, webMountCaptures } from './web-mount.js';

describe('normalizeWebMount', () => {
  it.each([
    ['/ui', '/ui'],
    ['ui', '/ui'],
    ['/ui/', '/ui'],
    ['/ui//', '/ui'],
    ['/', '/'],
    ['', '/'],
    ['/a/b/', '/a/b'],
  ])('%j → %j', (mount, expected) => {
    expect(normalizeWebMount(mount)).toBe(expected);
  });
});

describe('webMountCaptures (segment-aware)', () => {
  it.each<[string, string, boolean]>([
    ['/', '/health', true],
    ['/', '/', true],
    ['/ui', '/ui', true],
    ['/ui', '/ui/', true],
    ['/ui', '/ui/app/main.js', true],
    ['/ui', 'ui/app', true],
    ['/ui/', '/ui/app', true],
    ['ui', '/ui', true],
    ['/ui', '/ui-other', false],
    ['/ui', '/uix', false],
    ['/ui', '/api', false],
    ['/ui', '/', false],
    ['/ui/app', '/ui', false],
    ['/UI', '/ui', false],
  ])('mount %j, path %j → %s', (mount, path, expected) => {
    expect(webMountCaptures(mount, path)).toBe(expected);
  });
});

describe('shadowedRouteMessage', () => {
  it('names the plugin, the route and the mount as written', () => {
    expect(shadowedRouteMessage('com.example.p', 'health', '/')).toBe(
      "Plugin com.example.p declares route 'health' under web mount '/'; the static web branch would shadow this route. Move the route outside the web mount or remove the web mount overlap.",
    );
  });
});
