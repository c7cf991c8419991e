import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST_ABI_LEVEL, HOST_ABI_LEVELS, HOST_SLOTS, hostSlot, hostSlotIndex, hostSlotsAtLevel, PLUGIN_FIELDS, SERVED_SLOTS, signatureParameterNames } from './index.js';

describe('HOST_SLOTS', () => {
  it('states an answer that matches each C return type: const char* answers, void does not', () => {
    for (const slot of HOST_SLOTS) {
      expect(slot.answer !== 'none', slot.name).toBe(slot.signature.startsWith('const char*'));
    }
  });

  it('names each slot the way its C typedef does', () => {
    for (const slot of HOST_SLOTS) {
      const typedef = slot.name === 'free_string' ? 'osr_host_free_string_fn' : `osr_${slot.name}_fn`;
      expect(slot.signature).toContain(` ${typedef}(`);
    }
  });

  it('points required, secret and JSON arguments at string parameters that exist', () => {
    for (const slot of HOST_SLOTS) {
      const parameters = slot.signature.slice(slot.signature.indexOf('(') + 1, -1).split(',').map((p) => p.trim());
      const strings = parameters.filter((p) => p.startsWith('const char*'));
      expect(slot.requiredArgs, slot.name).toBeLessThanOrEqual(strings.length);
      for (const index of [...slot.secretArgs, ...slot.jsonArgs]) expect(strings[index], `${slot.name}[${index}]`).toBeDefined();
    }
  });

  it('fills every Insights path placeholder from a parameter, a request field or the level', () => {
    for (const slot of HOST_SLOTS) {
      if (slot.insights === null) continue;
      const known = new Set([...signatureParameterNames(slot.signature), 'level', 'method', 'url', 'path']);
      const placeholders = `${slot.insights.method} ${slot.insights.path}`.match(/\{(\w+)\}/g) ?? [];
      for (const placeholder of placeholders) expect(known, `${slot.name}: ${placeholder}`).toContain(placeholder.slice(1, -1));
    }
  });

  it('notes exactly the parameters each signature declares, in its order', () => {
    for (const slot of HOST_SLOTS) {
      expect(Object.keys(slot.parameterNotes), slot.name).toEqual(signatureParameterNames(slot.signature));
      expect(slot.summary.length, slot.name).toBeGreaterThan(0);
      // The summary and notes become C comments in the public header.
      for (const text of [slot.summary, ...Object.values(slot.parameterNotes)]) expect(text, slot.name).not.toContain('*/');
    }
  });

  it('adds slots in ABI order, never going back a version', () => {
    const versions = HOST_SLOTS.map((slot) => slot.since);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(hostSlotsAtLevel(1)).toEqual([]);
    expect(hostSlotsAtLevel(3).at(-1)).toBe('complete_cancel');
    expect(hostSlotsAtLevel(6)).toHaveLength(24);
    expect(hostSlotsAtLevel(DEFAULT_HOST_ABI_LEVEL)).toHaveLength(HOST_SLOTS.length);
    expect(HOST_ABI_LEVELS.at(-1)).toBe(DEFAULT_HOST_ABI_LEVEL);
  });

  it('numbers slots from 1 (0 is the version field) and serves every slot but free_string', () => {
    expect(hostSlotIndex('config_get')).toBe(1);
    expect(hostSlotIndex('free_string')).toBe(24);
    expect(SERVED_SLOTS).not.toContain('free_string');
    expect(SERVED_SLOTS).toHaveLength(HOST_SLOTS.length - 1);
    expect(hostSlot('config_set').secretArgs).toEqual([1]);
  });
});

describe('signatureParameterNames', () => {
  it('reads names after types and pointers, and none from an empty list', () => {
    expect(signatureParameterNames('void osr_log_fn(int level, const char* message)')).toEqual(['level', 'message']);
    expect(signatureParameterNames('const char* osr_list_models_fn()')).toEqual([]);
    expect(signatureParameterNames('void* osr_init_fn(void)')).toEqual([]);
  });
});

describe('PLUGIN_FIELDS', () => {
  it('starts with the five required v1 functions', () => {
    expect(PLUGIN_FIELDS.slice(0, 5).every((field) => field.required)).toBe(true);
    expect(PLUGIN_FIELDS.slice(5).some((field) => field.required)).toBe(false);
  });
});
