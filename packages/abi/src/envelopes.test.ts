import { describe, expect, it } from 'vitest';
import { ENVELOPE_CODES, errorEnvelope, isEnvelopeCode } from './index.js';

describe('errorEnvelope', () => {
  it('builds {error, message} with the extra keys after them', () => {
    expect(JSON.stringify(errorEnvelope('rate_limit_exceeded', 'Slow down.', { retry_after_ms: 250 }))).toBe(
      '{"error":"rate_limit_exceeded","message":"Slow down.","retry_after_ms":250}',
    );
  });

  it("leaves the message out only when asked, for upstream's bare shutting-down reply", () => {
    expect(JSON.stringify(errorEnvelope('Plugin is shutting down', null))).toBe('{"error":"Plugin is shutting down"}');
    expect(errorEnvelope('not_found', '')).toEqual({ error: 'not_found', message: '' });
  });

  it('keeps the retryable fact out of the wire shape', () => {
    expect(ENVELOPE_CODES.database_busy.retryable).toBe(true);
    expect(Object.keys(errorEnvelope('database_busy', 'locked'))).toEqual(['error', 'message']);
  });
});

describe('ENVELOPE_CODES', () => {
  it('gives every code an HTTP status for Insights', () => {
    for (const [code, { insightsStatus }] of Object.entries(ENVELOPE_CODES)) {
      expect(insightsStatus, code).toBeGreaterThanOrEqual(400);
      expect(insightsStatus, code).toBeLessThan(600);
    }
  });

  it('marks limits and busy or unreachable services retryable, refusals not', () => {
    expect(ENVELOPE_CODES.rate_limit_exceeded.retryable).toBe(true);
    expect(ENVELOPE_CODES.plugin_busy.retryable).toBe(true);
    expect(ENVELOPE_CODES.ssrf_blocked.retryable).toBe(false);
    expect(ENVELOPE_CODES.invalid_request.retryable).toBe(false);
  });

  it('recognises its own codes only', () => {
    expect(isEnvelopeCode('ssrf_blocked')).toBe(true);
    expect(isEnvelopeCode('toString')).toBe(false);
    expect(isEnvelopeCode('migration_failed')).toBe(false);
  });
});
