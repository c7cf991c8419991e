/** Receives a warning: `key` identifies it (`<plugin>|<op>|<reason>`), `message` is for people. */
export type WarnFn = (key: string, message: string) => void;

/**
 * Builds the one-shot warning key `<plugin>|<op>|<reason>` (plus optional detail
 * parts, e.g. the config key for `too_large`), the convention shared by host packages.
 */
export function onceKey(pluginId: string, op: string, reason: string, ...detail: string[]): string {
  return [pluginId, op, reason, ...detail].join('|');
}

/**
 * Wraps `warn` so each key is logged once. The remembered keys are bounded
 * (oldest forgotten first) because keys can embed plugin-chosen config keys.
 */
export function createOnceFilter(warn: WarnFn, options: { maxKeys?: number } = {}): WarnFn {
  const maxKeys = options.maxKeys ?? 4096;
  const seen = new Set<string>();
  return (key: string, message: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > maxKeys) {
      const oldest = seen.values().next().value as string;
      seen.delete(oldest);
    }
    warn(key, message);
  };
}
