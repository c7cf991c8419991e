/** What the host means by one error envelope code. */
export interface EnvelopeCodeDescriptor {
  /** The same call may succeed later without changing it (a lock, a limit, a busy or unreachable service). */
  retryable: boolean;
  /** The status of the Insights row of a host call that answered this code (INSIGHTS.md §1, P148). */
  insightsStatus: number;
}

/**
 * Every code a host-API error envelope can carry: `{"error":"<code>","message":"<text>"}`
 * plus the extra keys a code documents (HOST_API.md §0).
 */
export const ENVELOPE_CODES = {
  invalid_request: { retryable: false, insightsStatus: 400 },
  invalid_argument: { retryable: false, insightsStatus: 400 },
  forbidden: { retryable: false, insightsStatus: 403 },
  sqlite_error: { retryable: false, insightsStatus: 500 },
  database_full: { retryable: false, insightsStatus: 507 },
  database_busy: { retryable: true, insightsStatus: 503 },
  database_unavailable: { retryable: true, insightsStatus: 503 },
  shutting_down: { retryable: false, insightsStatus: 503 },
  'Plugin is shutting down': { retryable: false, insightsStatus: 503 },
  built_in_agent_not_exposable: { retryable: false, insightsStatus: 403 },
  rate_limit_exceeded: { retryable: true, insightsStatus: 429 },
  invalid_task_id: { retryable: false, insightsStatus: 400 },
  not_found: { retryable: false, insightsStatus: 404 },
  not_supported: { retryable: false, insightsStatus: 501 },
  plugin_busy: { retryable: true, insightsStatus: 429 },
  model_unavailable: { retryable: false, insightsStatus: 404 },
  inference_error: { retryable: true, insightsStatus: 502 },
  embedding_error: { retryable: true, insightsStatus: 502 },
  max_iterations_reached: { retryable: false, insightsStatus: 500 },
  output_token_limit: { retryable: false, insightsStatus: 500 },
  empty_tool_task_completion: { retryable: false, insightsStatus: 500 },
  cancelled: { retryable: false, insightsStatus: 500 },
  request_too_large: { retryable: false, insightsStatus: 413 },
  response_too_large: { retryable: false, insightsStatus: 502 },
  ssrf_blocked: { retryable: false, insightsStatus: 403 },
  dns_failure: { retryable: true, insightsStatus: 502 },
  connection_refused: { retryable: true, insightsStatus: 502 },
  connection_timeout: { retryable: true, insightsStatus: 504 },
  tls_error: { retryable: false, insightsStatus: 502 },
  invalid_response: { retryable: false, insightsStatus: 502 },
  too_many_redirects: { retryable: false, insightsStatus: 502 },
  network_error: { retryable: true, insightsStatus: 502 },
  access_denied: { retryable: false, insightsStatus: 403 },
  file_too_large: { retryable: false, insightsStatus: 413 },
  read_error: { retryable: false, insightsStatus: 500 },
  host_error: { retryable: false, insightsStatus: 500 },
  argument_too_large: { retryable: false, insightsStatus: 413 },
  host_timeout: { retryable: true, insightsStatus: 504 },
} as const satisfies Record<string, EnvelopeCodeDescriptor>;

export type EnvelopeCode = keyof typeof ENVELOPE_CODES;

/** Whether a string is one of the host's envelope codes. */
export function isEnvelopeCode(value: string): value is EnvelopeCode {
  return Object.hasOwn(ENVELOPE_CODES, value);
}

/** A host-API error envelope, with the extra keys its code documents. */
export type ErrorEnvelope<Extra extends object = Record<never, never>> = { error: EnvelopeCode; message?: string } & Extra;

/**
 * The one builder of host-API error envelopes: `{error, message, ...extra}`,
 * as an object the caller serialises (the host's replies sort their keys;
 * inference replies keep this order). Whether the code is worth retrying is
 * `ENVELOPE_CODES[code].retryable`; the envelope itself keeps upstream's keys (P147).
 * `message` is left out only for upstream's bare `Plugin is shutting down` reply.
 */
export function errorEnvelope<Extra extends object = Record<never, never>>(
  code: EnvelopeCode,
  message: string | null,
  extra?: Extra,
): ErrorEnvelope<Extra> {
  const envelope = message === null ? { error: code } : { error: code, message };
  return { ...envelope, ...extra } as ErrorEnvelope<Extra>;
}
