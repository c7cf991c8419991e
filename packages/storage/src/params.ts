import { StorageError } from './errors.js';

/** A value SQLite can bind, after the JSON → SQLite conversion rules. */
export type BindValue = null | bigint | number | string;

/** Parameters ready for better-sqlite3: none, positional (`?`, `?N`) or named (`:x`, `@x`, `$x`). */
export type BoundParams =
  | { readonly kind: 'none' }
  | { readonly kind: 'positional'; readonly values: BindValue[] }
  | { readonly kind: 'named'; readonly values: Record<string, BindValue> };

const NONE: BoundParams = { kind: 'none' };

/**
 * JSON → SQLite binding: null → NULL, booleans → 1/0, safe integers → INTEGER
 * (exact up to 2^53), other numbers → REAL, strings → TEXT, arrays and
 * objects → their JSON text.
 */
export function toBindValue(value: unknown): BindValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return value ? 1n : 0n;
    case 'number':
      // Integers go in as int64 so typeof() says 'integer', as upstream binds them.
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'string':
      return value;
    default:
      return JSON.stringify(value);
  }
}

/**
 * Parses `params_json`: NULL or blank → no parameters; a JSON array →
 * positional; a JSON object → named, where each key may carry one `:`, `@`
 * or `$` prefix (or none) and matches that name under any prefix in the SQL.
 */
export function parseParams(paramsJson: string | null | undefined): BoundParams {
  if (paramsJson === null || paramsJson === undefined || paramsJson.trim() === '') return NONE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(paramsJson);
  } catch (cause) {
    throw new StorageError(
      'invalid_request',
      `params_json is not valid JSON (${(cause as Error).message}); pass a JSON array or object, or NULL.`,
      { cause },
    );
  }
  if (Array.isArray(parsed)) return { kind: 'positional', values: parsed.map(toBindValue) };
  if (parsed === null) return NONE;
  if (typeof parsed !== 'object') {
    throw new StorageError(
      'invalid_request',
      'params_json must be a JSON array (positional) or object (named), or NULL.',
    );
  }
  const values: Record<string, BindValue> = Object.create(null);
  for (const [key, value] of Object.entries(parsed)) {
    const name = /^[:@$]/.test(key) ? key.slice(1) : key;
    if (name === '') {
      throw new StorageError('invalid_request', `Named parameter ${JSON.stringify(key)} has no name.`);
    }
    if (name in values) {
      throw new StorageError(
        'invalid_request',
        `Named parameter "${name}" is given more than once (with different prefixes); give it once.`,
      );
    }
    values[name] = toBindValue(value);
  }
  return { kind: 'named', values };
}
