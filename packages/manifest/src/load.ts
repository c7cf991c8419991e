import { ManifestError } from './errors.js';
import { type ParseManifestOptions, parseManifestDetailed } from './parse.js';
import { decodeProblemCodes, formatProblem, type ManifestProblem } from './problems.js';
import type { Manifest } from './schema.js';

export interface LoadedManifest {
  manifest: Manifest;
  /** Accepted-but-ignored details worth logging (e.g. `min_macos` on Linux). */
  notes: string[];
}

/**
 * The error text a plugin loader shows for a refused manifest, in the
 * host's words: decoding failures under "Failed to parse plugin manifest"
 * with one path-prefixed line each; otherwise the load-time messages
 * (identity, ids, versions, shadowing), one per line.
 */
export function manifestFailureMessage(problems: readonly ManifestProblem[]): string {
  if (problems.some((problem) => decodeProblemCodes.has(problem.code))) {
    return ['Failed to parse plugin manifest', ...problems.map((problem) => `  - ${formatProblem(problem)}`)].join('\n');
  }
  return problems.map((problem) => problem.message).join('\n');
}

/** `parseManifest` for plugin loaders: returns the manifest and notes, or throws a ManifestError listing every problem. */
export function loadManifest(input: string | Uint8Array | unknown, options: ParseManifestOptions = {}): LoadedManifest {
  const { result, cause } = parseManifestDetailed(input, options);
  if (result.ok) return { manifest: result.manifest, notes: result.notes };
  throw new ManifestError('invalid_manifest', manifestFailureMessage(result.problems), {
    cause,
    problems: result.problems,
    ...(result.manifest ? { manifest: result.manifest } : {}),
  });
}
