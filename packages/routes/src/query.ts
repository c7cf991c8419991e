import { decodeComponent } from './match.js';

/**
 * The route request's `query` object, as upstream builds it from the raw URI:
 * pairs split on `&`, the first `=` separates key and value, both
 * percent-decoded (`+` stays a plus), a key alone maps to `""`, and a later
 * duplicate overwrites an earlier one.
 */
export function parseQuery(rawQuery: string): Record<string, string> {
  // No prototype, so a "__proto__" key is data like any other.
  const query: Record<string, string> = Object.create(null);
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    query[decodeComponent(key)] = decodeComponent(value);
  }
  return query;
}

/** The first exact `osr_agent=` pair's value, percent-decoded; undefined when there is none. */
export function agentFromQuery(rawQuery: string): string | undefined {
  for (const pair of rawQuery.split('&')) {
    if (pair.startsWith('osr_agent=')) return decodeComponent(pair.slice('osr_agent='.length));
  }
  return undefined;
}

