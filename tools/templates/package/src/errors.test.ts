import { describe, expect, it } from 'vitest';
import { __PASCAL__Error } from './index.js';

describe('__PASCAL__Error', () => {
  it('carries a code, a message and the cause', () => {
    const cause = new Error('root');
    const error = new __PASCAL__Error('invalid_argument', 'Pass a string.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_argument');
    expect(error.cause).toBe(cause);
  });
});
