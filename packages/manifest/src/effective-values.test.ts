import { describe, expect, it } from 'vitest';
import { effectiveApiMount, effectivePermissionPolicy, isRecognizedPermissionPolicy } from './effective-values.js';

describe('effectivePermissionPolicy', () => {
  it.each<[string | undefined, string]>([
    ['auto', 'auto'],
    ['AUTO', 'auto'],
    ['Deny', 'deny'],
    ['ask', 'ask'],
    ['prompt', 'ask'],
    ['', 'ask'],
    [undefined, 'ask'],
  ])('%j → %s', (policy, expected) => {
    expect(effectivePermissionPolicy({ permission_policy: policy })).toBe(expected);
  });

  it('recognises only auto, ask and deny', () => {
    expect(['Ask', 'deny', 'prompt', 'always'].map(isRecognizedPermissionPolicy)).toEqual([true, true, false, false]);
  });
});

describe('effectiveApiMount', () => {
  it.each<[string | undefined, string]>([
    [undefined, '/api'],
    ['', '/api'],
    ['   ', '/api'],
    ['/v2', '/v2'],
    ['v2', '/v2'],
    [' /rpc ', '/rpc'],
  ])('%j → %j', (apiMount, expected) => {
    expect(effectiveApiMount({ api_mount: apiMount })).toBe(expected);
  });
});
