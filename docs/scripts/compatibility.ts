import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HOST_ABI_LEVEL, ENTRY_SYMBOL_V1, ENTRY_SYMBOL_V2, HOST_ABI_LEVELS, HOST_SLOTS, PLUGIN_FIELDS, TASK_EVENT } from '@osr-host/abi';
import { hostTableSize, pluginFieldOffset } from '@osr-host/abi-struct';
import { manifestJsonSchema } from '@osr-host/manifest';
import { GENERATED_PATHS, type GeneratedPage, generatedNotice } from './page.ts';

/**
 * The compatibility page: what this host shares with the upstream host (derived from the
 * ABI and manifest packages), then one table per area of every decision in `decisions.md`
 * marked with `**Upstream:** … **Why:** …`.
 */

export const DECISIONS_FILE = fileURLToPath(new URL('../decisions.md', import.meta.url));
export const PAGE_PATH = GENERATED_PATHS.compatibilityTable;

const UPSTREAM_MARK = '**Upstream:**';
const WHY_MARK = '**Why:**';

/** One decision line of `decisions.md`: `- <a id="p32"></a>P32. text`. */
export interface Decision {
  /** `D1`, `P32`. */
  id: string;
  kind: 'D' | 'P';
  number: number;
  /** The `id` of its inline anchor (`p32`). */
  anchor: string;
  /** The heading it sits under. */
  area: string;
  /** 1-based line in the file. */
  line: number;
  /** The decision as written, without its anchor and its marks. */
  text: string;
  /** Set when the decision is marked as a deliberate difference from the upstream host. */
  difference?: { upstream: string; why: string };
}

export interface ParsedDecisions {
  decisions: Decision[];
  /** Every `id="…"` anchor in the file. */
  anchors: Set<string>;
  /** Lines that look like decisions or marks but do not follow the format. */
  problems: string[];
}

const DECISION_LINE = /^- <a id="([^"]+)"><\/a>([DP])(\d+)\. (.+)$/;

export function parseDecisions(markdown: string): ParsedDecisions {
  const decisions: Decision[] = [];
  const problems: string[] = [];
  const anchors = new Set([...markdown.matchAll(/\bid="([^"]+)"/g)].map((match) => match[1] as string));
  let area = '';
  markdown.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const heading = /^#{2,3} (.+)$/.exec(raw);
    if (heading) {
      area = heading[1] as string;
      return;
    }
    if (!raw.startsWith('- ')) return;
    const match = DECISION_LINE.exec(raw);
    if (!match) {
      if (/^- (<a [^>]*><\/a>)?[DP]\d+\./.test(raw)) problems.push(`line ${line}: a decision needs the form '- <a id="p1"></a>P1. text'`);
      return;
    }
    const [, anchor, kind, digits, body] = match as unknown as [string, string, 'D' | 'P', string, string];
    const id = `${kind}${Number(digits)}`;
    if (anchor !== id.toLowerCase()) problems.push(`line ${line}: ${id} has the anchor "${anchor}", expected "${id.toLowerCase()}"`);
    const decision: Decision = { id, kind, number: Number(digits), anchor, area, line, text: body };
    const upstreamAt = body.indexOf(UPSTREAM_MARK);
    const whyAt = body.indexOf(WHY_MARK);
    if (upstreamAt >= 0 || whyAt >= 0) {
      const once = body.split(UPSTREAM_MARK).length === 2 && body.split(WHY_MARK).length === 2;
      if (!once || whyAt < upstreamAt) {
        problems.push(`line ${line}: ${id} needs exactly one '${UPSTREAM_MARK} …' followed by one '${WHY_MARK} …'`);
      } else {
        const upstream = body.slice(upstreamAt + UPSTREAM_MARK.length, whyAt).trim();
        const why = body.slice(whyAt + WHY_MARK.length).trim();
        decision.text = body.slice(0, upstreamAt).trim();
        if (upstream === '' || why === '' || decision.text === '') problems.push(`line ${line}: ${id} has an empty part`);
        decision.difference = { upstream, why };
      }
    }
    decisions.push(decision);
  });
  return { decisions, anchors, problems };
}

/**
 * Numbering problems: D and P numbers each unique and without gaps from 1
 * (D1–D22 exactly, as the founding set), so a citation can never be ambiguous.
 */
export function numberingProblems(decisions: readonly Decision[], foundingCount = 22): string[] {
  const problems: string[] = [];
  for (const kind of ['D', 'P'] as const) {
    const numbers = decisions.filter((decision) => decision.kind === kind).map((decision) => decision.number);
    const seen = new Set<number>();
    for (const number of numbers) {
      if (seen.has(number)) problems.push(`${kind}${number} appears more than once`);
      seen.add(number);
    }
    const highest = Math.max(0, ...numbers);
    for (let number = 1; number <= highest; number += 1) {
      if (!seen.has(number)) problems.push(`${kind}${number} is missing (numbers run 1–${highest})`);
    }
    if (kind === 'D' && highest !== foundingCount) problems.push(`the founding decisions run D1–D${highest}, expected D1–D${foundingCount}`);
  }
  return problems;
}

/** Every `D#` / `P#` a text cites. */
export function citedDecisionIds(text: string): string[] {
  return [...text.matchAll(/\b([DP])(\d{1,3})\b/g)].map((match) => `${match[1]}${Number(match[2])}`);
}

/** A markdown table cell: one line, pipes escaped, a leading lower-case letter capitalised. */
function cell(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return /^[a-z]/.test(line) ? line[0]!.toUpperCase() + line.slice(1) : line;
}

function decisionLink(decision: Pick<Decision, 'id' | 'anchor'>): string {
  return `[${decision.id}](/decisions#${decision.anchor})`;
}

/** Facts about the shared surface, read from the packages that implement it. */
export interface SharedSurface {
  levels: readonly number[];
  defaultLevel: number;
  /** Per level: the host slots it adds and the size of its host table (0: no table). */
  tables: Array<{ level: number; added: string[]; bytes: number }>;
  entryV2: string;
  entryV1: string;
  pluginTableBytes: number;
  pluginV1TableBytes: number;
  requiredPluginFunctions: string[];
  taskEvents: Array<[name: string, value: number]>;
  manifestKeys: string[];
  manifestRequired: string[];
  capabilityKeys: string[];
}

function sharedSurface(): SharedSurface {
  const pointer = pluginFieldOffset('init') - pluginFieldOffset('free_string');
  const lastField = PLUGIN_FIELDS[PLUGIN_FIELDS.length - 1]!.name;
  const required = PLUGIN_FIELDS.filter((field) => field.required).map((field) => field.name);
  const schema = manifestJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; required?: string[] };
  return {
    levels: HOST_ABI_LEVELS,
    defaultLevel: DEFAULT_HOST_ABI_LEVEL,
    tables: HOST_ABI_LEVELS.map((level) => ({
      level,
      added: HOST_SLOTS.filter((slot) => slot.since === level).map((slot) => slot.name),
      bytes: hostTableSize(level),
    })),
    entryV2: ENTRY_SYMBOL_V2,
    entryV1: ENTRY_SYMBOL_V1,
    pluginTableBytes: pluginFieldOffset(lastField) + pointer,
    pluginV1TableBytes: required.length * pointer,
    requiredPluginFunctions: required,
    taskEvents: Object.entries(TASK_EVENT),
    manifestKeys: Object.keys(schema.properties),
    manifestRequired: schema.required ?? [],
    capabilityKeys: Object.keys(schema.properties['capabilities']?.properties ?? {}),
  };
}

const code = (text: string) => `\`${text}\``;

function range(values: readonly number[]): string {
  return `${values[0]}–${values[values.length - 1]}`;
}

function introduction(surface: SharedSurface, differences: number): string {
  const levelRows = surface.tables.map(({ level, added, bytes }) => {
    const slots =
      level === 1
        ? `none: no table is passed; only ${code(surface.entryV1)} plugins load`
        : added.length > 3
          ? `${added.length} slots, ${code(added[0]!)} … ${code(added[added.length - 1]!)}`
          : added.map(code).join(', ');
    return `| ${level}${level === surface.defaultLevel ? ' (default)' : ''} | ${slots} | ${bytes === 0 ? '—' : `${bytes} bytes`} |`;
  });
  return [
    '# Compatibility with the upstream host',
    '',
    'The upstream host is the Osaurus macOS app. A native plugin built for it loads in osr-host unchanged:',
    'both hosts speak the same C ABI, read the same manifest and answer with the same JSON envelopes.',
    `Where osr-host deliberately behaves differently, the decision behind it says so; the ${differences} such`,
    'decisions are listed below, one table per area, each linked to its entry on the [decisions](/decisions) page.',
    '',
    '## What is the same',
    '',
    `**ABI.** Host ABI levels ${range(surface.levels)} can be presented (default ${surface.defaultLevel}, the upstream host's level).`,
    `The plugin exports ${code(surface.entryV2)} (given the host table) or the legacy ${code(surface.entryV1)};`,
    `the plugin table is ${surface.pluginTableBytes} bytes, ${surface.pluginV1TableBytes} through the legacy entry`,
    `(${surface.requiredPluginFunctions.map(code).join(', ')}, all required). The host table grows by level, slots at`,
    'the offsets the upstream header pins, each later slot NULL:',
    '',
    '| Level | Slots added | Host table |',
    '| --- | --- | --- |',
    ...levelRows,
    '',
    `Task events keep their numbers (${surface.taskEvents.map(([name, value]) => `${value} ${name}`).join(', ')}),`,
    'and host strings are `malloc`ed, so `host->free_string` and `free()` both release them ([D4](/decisions#d4)).',
    '',
    `**Manifest.** The same JSON: top-level ${surface.manifestKeys.map(code).join(', ')}`,
    `(${surface.manifestRequired.map(code).join(' and ')} required), capabilities ${surface.capabilityKeys.map(code).join(', ')},`,
    "decoded with the upstream host's rules (unknown keys ignored, `null` as absent, a wrong type fails the load) and",
    'validated at load time as later upstream does ([D6](/decisions#d6)).',
    '',
    '**Envelopes.** Host-API errors are `{"error":"<code>","message":"…"}`; tool results are',
    '`{"ok":true,"result":…}` or `{"ok":false,"kind":"…","message":"…"}`; `handle_route` gets and returns the',
    "upstream request and response JSON; task events carry the upstream payloads. The on-disk layout (`Tools/<plugin_id>/<version>/`,",
    '`receipt.json`, `.user_consent`, `.currently_loading`, `.quarantine`) is upstream\'s ([D5](/decisions#d5), [D7](/decisions#d7)).',
    'How the pieces fit together is on the [architecture](/architecture) page.',
    '',
    '## Differences',
    '',
    'Each row is a decision marked **Upstream:** in [decisions](/decisions): what the upstream host does, what this host does',
    'instead (the decision as written), and why.',
  ].join('\n');
}

/** The page, from the decisions file's text and the shared surface. */
export function renderCompatibilityPage(markdown: string, surface: SharedSurface = sharedSurface()): string {
  const { decisions, problems } = parseDecisions(markdown);
  if (problems.length > 0) throw new Error(`decisions.md: ${problems.join('; ')}`);
  const marked = decisions.filter((decision) => decision.difference !== undefined);
  const areas = new Map<string, Decision[]>();
  for (const decision of marked) areas.set(decision.area, [...(areas.get(decision.area) ?? []), decision]);
  const sections = [...areas].map(([area, rows]) =>
    [
      `### ${area}`,
      '',
      '| Decision | Upstream host | This host | Why |',
      '| --- | --- | --- | --- |',
      ...rows.map(
        (decision) => `| ${decisionLink(decision)} | ${cell(decision.difference!.upstream)} | ${cell(decision.text)} | ${cell(decision.difference!.why)} |`,
      ),
    ].join('\n'),
  );
  return `${generatedNotice('docs/decisions.md and the abi-struct and manifest packages')}${introduction(surface, marked.length)}\n\n${sections.join('\n\n')}\n`;
}

export async function generateCompatibilityTable(): Promise<GeneratedPage[]> {
  return [{ path: PAGE_PATH, content: renderCompatibilityPage(readFileSync(DECISIONS_FILE, 'utf8')) }];
}
