/** Why a manifest is refused; stable strings to branch on. */
export type ManifestProblemCode =
  // the bytes themselves
  | 'too_large'
  | 'invalid_encoding'
  | 'invalid_json'
  | 'too_deep'
  | 'duplicate_key'
  | 'nul_character'
  | 'not_an_object'
  // decoding (shape and types)
  | 'missing_key'
  | 'invalid_type'
  | 'invalid_value'
  // load-time rules
  | 'invalid_plugin_id'
  | 'plugin_id_mismatch'
  | 'empty_id'
  | 'duplicate_id'
  | 'invalid_route_path'
  | 'invalid_method'
  | 'invalid_web_path'
  | 'min_osaurus_not_met'
  | 'min_macos_not_met'
  | 'route_shadowed_by_web_mount';

/** One thing wrong with a manifest: where (a JSON path such as `$.capabilities.tools[2].id`) and how to fix it. */
export interface ManifestProblem {
  code: ManifestProblemCode;
  path: string;
  message: string;
}

/** Problems found while decoding; the host reports these as "Failed to parse plugin manifest". */
export const decodeProblemCodes: ReadonlySet<ManifestProblemCode> = new Set([
  'too_large',
  'invalid_encoding',
  'invalid_json',
  'too_deep',
  'duplicate_key',
  'nul_character',
  'not_an_object',
  'missing_key',
  'invalid_type',
  'invalid_value',
]);

/** Control characters (line breaks included) as JSON escapes, so manifest text quoted in a message stays on one line. */
export function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}

/** `$.a.b: message`, the one-line form used by the CLI and in error messages. */
export function formatProblem(problem: ManifestProblem): string {
  return escapeControlCharacters(`${problem.path}: ${problem.message}`);
}
