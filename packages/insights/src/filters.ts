import { InsightsError } from './errors.js';
import { LOG_LEVEL_NAMES, type LogLevelName } from '@osr-host/abi';
import type { ActivityFilter } from './store.js';

/** Filters as text, the way the CLI flags and the dashboard's query string carry them. */
export interface FilterText {
  plugin?: string;
  agent?: string;
  path?: string;
  /** `N` or `N-M`. */
  status?: string;
  /** A level name or a comma-separated list (TRACE, DEBUG, INFO, WARN, ERROR, LOG). */
  level?: string;
  /** ISO-8601 time, ms since the epoch, or a duration back from now: `30s`, `15m`, `2h`, `7d`. */
  since?: string;
  until?: string;
  /** `KEY=VALUE`, each. */
  payload?: string[];
  text?: string;
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function invalid(message: string): InsightsError {
  return new InsightsError('invalid_argument', message);
}

/** A time filter value as ms since the epoch. */
function parseTime(text: string, now: number): number {
  const trimmed = text.trim();
  const duration = DURATION.exec(trimmed);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parsed = Date.parse(trimmed);
  if (Number.isNaN(parsed)) throw invalid(`Time ${JSON.stringify(text)} is not understood: use ISO-8601 (2026-01-31T12:00:00Z), ms since the epoch, or a duration such as 15m, 2h or 7d.`);
  return parsed;
}

/** `404` or `400-499` as an inclusive range. */
function parseStatus(text: string): { min: number; max: number } {
  const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(text);
  if (!match) throw invalid(`Status ${JSON.stringify(text)} is not understood: use a code (404) or a range (400-499).`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw invalid(`Status range ${JSON.stringify(text)} ends before it starts: write the lower code first.`);
  return { min, max };
}

function parseLevels(text: string): LogLevelName[] {
  const known: readonly string[] = [...LOG_LEVEL_NAMES, 'LOG'];
  return text.split(',').map((part) => {
    const name = part.trim().toUpperCase();
    if (!known.includes(name)) throw invalid(`Level ${JSON.stringify(part)} is not one of ${known.join(', ')}.`);
    return name as LogLevelName;
  });
}

function parsePayloadTerm(term: string): { key: string; value: string } {
  const equals = term.indexOf('=');
  if (equals <= 0) throw invalid(`Payload filter ${JSON.stringify(term)} needs the form KEY=VALUE, e.g. user.id=42.`);
  return { key: term.slice(0, equals), value: term.slice(equals + 1) };
}

/** Turns text filters into a store filter, refusing anything it cannot read with a message that says how to write it. */
export function parseFilter(text: FilterText, now: number): ActivityFilter {
  const filter: ActivityFilter = {};
  if (text.plugin) filter.pluginId = text.plugin;
  if (text.agent) filter.agentId = text.agent;
  if (text.path) filter.path = text.path;
  if (text.status) filter.status = parseStatus(text.status);
  if (text.level) filter.level = parseLevels(text.level);
  if (text.since) filter.since = parseTime(text.since, now);
  if (text.until) filter.until = parseTime(text.until, now);
  if (text.payload?.length) filter.payload = text.payload.map(parsePayloadTerm);
  if (text.text) filter.text = text.text;
  return filter;
}
