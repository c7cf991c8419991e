import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_ID, isDefaultAgentId, isUuid, logLevelName, logLevelStatus, parseUuid } from './index.js';

describe('agent ids', () => {
  it('parses a UUID of either case, trimmed, to upper case', () => {
    expect(parseUuid(' 6b1f0e5c-2d4a-4f7b-9c3e-1a2b3c4d5e6f\n')).toBe('6B1F0E5C-2D4A-4F7B-9C3E-1A2B3C4D5E6F');
    expect(parseUuid('not-a-uuid')).toBeNull();
    expect(parseUuid(null)).toBeNull();
  });

  it('checks the shape without trimming', () => {
    expect(isUuid(DEFAULT_AGENT_ID)).toBe(true);
    expect(isUuid(` ${DEFAULT_AGENT_ID}`)).toBe(false);
    expect(isUuid('6B1F0E5C2D4A4F7B9C3E1A2B3C4D5E6F')).toBe(false);
  });

  it('knows the Default agent in either case', () => {
    expect(isDefaultAgentId(DEFAULT_AGENT_ID.toLowerCase())).toBe(true);
    expect(isDefaultAgentId('6B1F0E5C-2D4A-4F7B-9C3E-1A2B3C4D5E6F')).toBe(false);
  });
});

describe('log levels', () => {
  it('names 0–4 and shows anything else as LOG', () => {
    expect([0, 1, 2, 3, 4, 5, -1].map(logLevelName)).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'LOG', 'LOG']);
  });

  it('gives WARN 299 and ERROR 500, everything else 200', () => {
    expect([0, 1, 2, 3, 4, 9].map(logLevelStatus)).toEqual([200, 200, 200, 299, 500, 200]);
  });
});
