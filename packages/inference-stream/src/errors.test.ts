import { describe, expect, it } from 'vitest';
import { InferenceStreamError } from './index.js';

describe('InferenceStreamError', () => {
  it('carries a code, a message and the cause', () => {
    const cause = new Error('root');
    const error = new InferenceStreamError('model_unavailable', 'Pick a model from list_models.', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InferenceStreamError');
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toBe('Pick a model from list_models.');
    expect(error.cause).toBe(cause);
  });
});
