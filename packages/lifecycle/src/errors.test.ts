import { describe, expect, it } from 'vitest';
import { LifecycleError } from './index.js';

describe('LifecycleError', () => {
  it('carries a code, a message and the cause', () => {
    const cause = new Error('root');
    const error = new LifecycleError('invalid_argument', 'Pass a string.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_argument');
    expect(error.cause).toBe(cause);
  });
});
