import { logLevelName } from '@osr-host/abi';
import { DEFAULT_MAX_BODY_CHARS, truncateText } from './bodies.js';

/**
 * Plugin text on a terminal: control characters (ANSI escapes, newlines that
 * would forge further lines) are shown as `\xNN` instead of acting.
 */
export function printable(text: string): string {
  return text.toWellFormed().replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * `[Plugin:<id>] [<LEVEL>] <message>` (+ ` <payload>`), the console line of a plugin log (INSIGHTS.md §2).
 * The message and payload are each cut to the Insights body limit before the line is built, so a huge log costs
 * the console no more than the row shows.
 */
export function pluginLogLine(pluginId: string, level: number, message: string, payload: string | null = null): string {
  const cut = (text: string) => truncateText(text, DEFAULT_MAX_BODY_CHARS, ' ');
  const line = `[Plugin:${pluginId}] [${logLevelName(level)}] ${cut(message)}${payload === null ? '' : ` ${cut(payload)}`}`;
  return printable(line);
}

/** A one-shot warning's console line, with upstream's `[PluginHostAPI]` prefix. */
export function hostApiWarningLine(message: string): string {
  return printable(`[PluginHostAPI] ${message}`);
}

/** `[Osaurus] Loaded plugin from <file> (entry=v2, abi=v<N>)`: the loader's success line. */
export function loadedPluginLine(file: string, entry: 'v1' | 'v2', abi: number): string {
  return printable(`[Osaurus] Loaded plugin from ${file} (entry=${entry}, abi=v${abi})`);
}

/** What a load error means and what to do about it (the DEBUGGING.md decision tree, INSIGHTS.md §6). */
export interface LoadFailureDiagnosis {
  symptom: string;
  advice: string;
}

const LOAD_FAILURE_ADVICE: { test: RegExp; symptom: string; advice: string }[] = [
  {
    test: /Failed to load library|dlopen/i,
    symptom: 'dlopen failed',
    advice: 'The library could not be loaded: check its signature, its architecture and that its own dependencies are installed.',
  },
  {
    test: /Missing plugin entry point/i,
    symptom: 'missing entry',
    advice: 'The library exports no entry point: check with `nm -gU <library> | grep osaurus_plugin` (Linux: `nm -D --defined-only`).',
  },
  {
    test: /entry returned null API|Plugin initialization failed|is missing required function/i,
    symptom: 'init failed',
    advice: "The plugin's entry or init is broken: debug its initialisation, e.g. with the author test kit.",
  },
  {
    test: /Failed to parse plugin manifest/i,
    symptom: 'invalid manifest',
    advice: 'The manifest is not valid JSON for the schema: run `osr-host manifest validate` on it.',
  },
  {
    test: /under web mount/i,
    symptom: 'route under web mount',
    advice: 'A route sits under the web mount and would be shadowed: move the route or the mount.',
  },
  {
    test: /^consent_required:/,
    symptom: 'consent required',
    advice: 'The plugin has not been approved for loading: grant consent, then reload.',
  },
  {
    test: /quarantined/i,
    symptom: 'quarantined',
    advice: 'It crashed during an earlier load: retry once the plugin or host is updated, or uninstall it.',
  },
  {
    test: /receipt\.json|Checksum verification failed|code signature/i,
    symptom: 'verification failed',
    advice: 'The install could not be verified: reinstall the plugin from its package.',
  },
];

/** The diagnosis of a load error string, or undefined when it matches no known symptom. */
export function diagnoseLoadFailure(error: string): LoadFailureDiagnosis | undefined {
  const known = LOAD_FAILURE_ADVICE.find(({ test }) => test.test(error));
  return known && { symptom: known.symptom, advice: known.advice };
}

/** `[Osaurus] Failed to load plugin <id>: <error>` plus the advice for its symptom, for the console and plugin lists. */
export function loadFailureLine(pluginId: string, error: string): string {
  const diagnosis = diagnoseLoadFailure(error);
  return printable(`[Osaurus] Failed to load plugin ${pluginId}: ${error}${diagnosis ? ` (${diagnosis.advice})` : ''}`);
}
