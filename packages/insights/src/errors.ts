/** Machine-readable reasons an Insights operation can fail. */
export type InsightsErrorCode = 'invalid_argument' | 'not_migrated' | 'write_failed' | 'closed' | 'export_failed';

/** The one error class of @osr-host/insights: branch on `code`, show `message`. */
export class InsightsError extends Error {
  override readonly name = 'InsightsError';
  readonly code: InsightsErrorCode;

  constructor(code: InsightsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
