import { describe, expect, it } from 'vitest';
import { ManifestError } from './index.js';

describe('ManifestError', () => {
  it('carries a code, a message and the cause', () => {
    const cause = new Error('root');
    const error = new ManifestError('invalid_manifest', 'Pass a string.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_manifest');
    expect(error.cause).toBe(cause);
  });
});
