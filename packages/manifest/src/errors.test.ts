import { describe, expect, it } from 'vitest';
import { ManifestError } from './index.js';

describe('ManifestError', () => {
  it('carries a code, a message, the cause and the problems', () => {
    const cause = new Error('root');
    const problems = [{ code: 'invalid_json' as const, path: '$', message: 'Not valid JSON.' }];
    const error = new ManifestError('invalid_manifest', 'Failed to parse plugin manifest', { cause, problems });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ManifestError');
    expect(error.code).toBe('invalid_manifest');
    expect(error.cause).toBe(cause);
    expect(error.problems).toEqual(problems);
  });

  it('has no cause and no problems unless given', () => {
    const error = new ManifestError('invalid_manifest', 'x');
    expect('cause' in error).toBe(false);
    expect(error.problems).toEqual([]);
  });
});
