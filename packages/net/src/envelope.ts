import { type EnvelopeCode, errorEnvelope as hostErrorEnvelope } from '@osr-host/abi';

/** JSON with sorted object keys, as the host API emits it (HOST_API.md §0). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** The host-API error envelope `{"error","message",...extra}` as sorted JSON. */
export function errorJson(code: EnvelopeCode, message: string, extra: Record<string, unknown> = {}): string {
  return sortedJson(hostErrorEnvelope(code, message, extra));
}

/** Parses a request as a JSON object, or returns the `invalid_request` envelope to answer with. */
export function parseRequestObject(requestJson: string): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(requestJson);
  } catch (cause) {
    return errorJson('invalid_request', `Request is not valid JSON: ${(cause as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return errorJson('invalid_request', 'Request must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
