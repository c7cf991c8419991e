import { describe, expect, it, vi } from 'vitest';
import { createOnceFilter, onceKey } from './index.js';

describe('onceKey', () => {
  it('joins plugin, op, reason and details with "|"', () => {
    expect(onceKey('com.example.mail', 'config_set', 'too_large', 'api_key')).toBe(
      'com.example.mail|config_set|too_large|api_key',
    );
    expect(onceKey('com.example.mail', 'config_get', 'no_agent_context')).toBe(
      'com.example.mail|config_get|no_agent_context',
    );
  });
});

describe('createOnceFilter', () => {
  it('passes each key on the first time only', () => {
    const warn = vi.fn();
    const once = createOnceFilter(warn);
    once('p|op|a', 'first');
    once('p|op|a', 'again');
    once('p|op|b', 'other');
    expect(warn.mock.calls).toEqual([
      ['p|op|a', 'first'],
      ['p|op|b', 'other'],
    ]);
  });

  it('forgets the oldest key beyond its bound, so it can warn again', () => {
    const warn = vi.fn();
    const once = createOnceFilter(warn, { maxKeys: 2 });
    for (const key of ['a', 'b', 'c', 'b', 'a']) once(key, key);
    expect(warn.mock.calls.map(([key]) => key)).toEqual(['a', 'b', 'c', 'a']);
  });
});
