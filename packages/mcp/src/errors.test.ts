import { describe, expect, it } from 'vitest';
import { McpError } from './index.js';

describe('McpError', () => {
  it('carries a code, a message and the cause', () => {
    const cause = new Error('root');
    const error = new McpError('token_file_unwritable', 'Check the directory.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('McpError');
    expect(error.code).toBe('token_file_unwritable');
    expect(error.cause).toBe(cause);
  });
});
