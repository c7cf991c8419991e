import { describe, expect, it } from 'vitest';
import { describeJsonType, formatJsonPath, valueAtPath } from './json-path.js';

describe('formatJsonPath', () => {
  it.each<[(string | number)[], string]>([
    [[], '$'],
    [['plugin_id'], '$.plugin_id'],
    [['capabilities', 'tools', 2, 'id'], '$.capabilities.tools[2].id'],
    [['a b'], '$["a b"]'],
    [['1x'], '$["1x"]'],
    [['say "hi"'], '$["say \\"hi\\""]'],
  ])('%j → %s', (segments, expected) => {
    expect(formatJsonPath(segments)).toBe(expected);
  });
});

describe('describeJsonType', () => {
  it.each<[unknown, string]>([
    [null, 'null'],
    [[], 'an array'],
    [{}, 'an object'],
    ['', 'a string'],
    [1, 'a number'],
    [false, 'a boolean'],
  ])('%j → %s', (value, expected) => {
    expect(describeJsonType(value)).toBe(expected);
  });
});

describe('valueAtPath', () => {
  it('follows own keys and indexes only', () => {
    const root = { a: [{ b: 1 }] };
    expect(valueAtPath(root, ['a', 0, 'b'])).toBe(1);
    expect(valueAtPath(root, ['a', 1, 'b'])).toBeUndefined();
    expect(valueAtPath(root, ['toString'])).toBeUndefined();
    expect(valueAtPath(root, ['a', 0, 'b', 'c'])).toBeUndefined();
  });
});
