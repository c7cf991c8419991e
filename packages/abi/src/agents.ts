/** The built-in Default agent: it owns plugin-wide config and cannot dispatch (D8, D9). */
export const DEFAULT_AGENT_ID = '00000000-0000-0000-0000-000000000001';

/**
 * A hyphenated UUID in either case; the host stores and compares upper case (D17). Written without
 * flags, so its `source` also serves as a JSON Schema `pattern`.
 */
export const UUID_PATTERN = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** Whether `value` is a hyphenated UUID (either case, no surrounding space). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** An agent or task id in the host's upper-case form, or null when it is not a UUID (surrounding space is ignored). */
export function parseUuid(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  return isUuid(trimmed) ? trimmed.toUpperCase() : null;
}

/** Whether an id (either case) names the built-in Default agent. */
export function isDefaultAgentId(agentId: string): boolean {
  return agentId.toUpperCase() === DEFAULT_AGENT_ID;
}
