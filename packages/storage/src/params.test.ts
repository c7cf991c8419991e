import { describe, expect, it } from 'vitest';
import type { StorageError } from './errors.js';
import { parseParams, toBindValue } from './params.js';

function failure(paramsJson: string): StorageError {
  try {
    parseParams(paramsJson);
  } catch (error) {
    return error as StorageError;
  }
  throw new Error(`expected ${paramsJson} to be refused`);
}

describe('parseParams', () => {
  it('treats NULL, empty and blank text as no parameters', () => {
    expect(parseParams(null)).toEqual({ kind: 'none' });
    expect(parseParams('')).toEqual({ kind: 'none' });
    expect(parseParams('  \n')).toEqual({ kind: 'none' });
    expect(parseParams('null')).toEqual({ kind: 'none' });
  });

  it('binds an array positionally with the JSON → SQLite rules', () => {
    expect(parseParams('[null, true, false, 42, 1.5, "s", [1,"a"], {"k":{"n":null}}]')).toEqual({
      kind: 'positional',
      values: [null, 1n, 0n, 42n, 1.5, 's', '[1,"a"]', '{"k":{"n":null}}'],
    });
  });

  it('keeps integers exact up to 2^53 and sends larger magnitudes as REAL', () => {
    expect(toBindValue(2 ** 53 - 1)).toBe(9007199254740991n);
    expect(toBindValue(-(2 ** 53 - 1))).toBe(-9007199254740991n);
    expect(toBindValue(2 ** 53)).toBe(2 ** 53);
  });

  it('accepts named keys with :, @, $ or no prefix', () => {
    expect(parseParams('{":a": 1, "@b": "x", "$c": null, "d": false}')).toEqual({
      kind: 'named',
      values: { a: 1n, b: 'x', c: null, d: 0n },
    });
  });

  it('refuses malformed or ambiguous params_json as invalid_request', () => {
    for (const bad of ['[1,', '{"a":', 'nope', '"text"', '42', 'true', '{":": 1}', '{":a": 1, "@a": 2}']) {
      expect(failure(bad).code, bad).toBe('invalid_request');
    }
    expect(failure('[1,').message).toMatch(/params_json is not valid JSON/);
  });
});
