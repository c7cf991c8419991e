import type { ManifestProblem } from './problems.js';
import type { Manifest } from './schema.js';

/** Machine-readable reasons a manifest operation can fail. */
export type ManifestErrorCode = 'invalid_manifest';

export interface ManifestErrorOptions {
  cause?: unknown;
  /** Every problem found, each with its JSON path. */
  problems?: readonly ManifestProblem[];
  /** The decoded manifest, when only load-time rules failed (the host keeps it for its failure list). */
  manifest?: Manifest;
}

/** The one error class of @osr-host/manifest: branch on `code`, show `message`, list `problems`. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code: ManifestErrorCode;
  readonly problems: readonly ManifestProblem[];
  readonly manifest: Manifest | undefined;

  constructor(code: ManifestErrorCode, message: string, options: ManifestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
    this.manifest = options.manifest;
  }
}
