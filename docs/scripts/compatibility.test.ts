import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST_ABI_LEVELS, hostTableSize } from '@osr-host/abi-struct';
import { describe, expect, it } from 'vitest';
import {
  citedDecisionIds,
  DECISIONS_FILE,
  type Decision,
  generateCompatibilityTable,
  numberingProblems,
  PAGE_PATH,
  parseDecisions,
  renderCompatibilityPage,
} from './compatibility.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const decisionsText = readFileSync(DECISIONS_FILE, 'utf8');
const parsed = parseDecisions(decisionsText);

/** Table rows of the page: the decision each links to and the anchor it targets. */
function tableRows(page: string): Array<{ id: string; anchor: string }> {
  return [...page.matchAll(/^\| \[([DP]\d+)\]\(\/decisions#([^)]*)\) \|/gm)].map((match) => ({ id: match[1]!, anchor: match[2]! }));
}

/** What is wrong with a page's tables against the decisions: missing, repeated, unmarked or dangling rows. */
function tableProblems(page: string, decisions: readonly Decision[], anchors: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const rows = tableRows(page);
  const count = new Map<string, number>();
  for (const row of rows) count.set(row.id, (count.get(row.id) ?? 0) + 1);
  for (const decision of decisions) {
    const times = count.get(decision.id) ?? 0;
    if (decision.difference && times !== 1) problems.push(`${decision.id} is marked but appears ${times} times`);
    if (!decision.difference && times > 0) problems.push(`${decision.id} is not marked but has a row`);
  }
  for (const row of rows) {
    if (!decisions.some((decision) => decision.id === row.id)) problems.push(`${row.id} has a row but no decision`);
    if (!anchors.has(row.anchor)) problems.push(`${row.id} links to #${row.anchor}, which decisions.md lacks`);
  }
  for (const match of page.matchAll(/\/decisions#([^)\s]+)/g)) {
    if (!anchors.has(match[1]!)) problems.push(`link to /decisions#${match[1]} has no anchor`);
  }
  return problems;
}

/** Cited D#/P# that decisions.md does not define, as "file: id". */
function unknownCitations(files: ReadonlyArray<[path: string, text: string]>, known: ReadonlySet<string>): string[] {
  return files.flatMap(([path, text]) => citedDecisionIds(text).filter((id) => !known.has(id)).map((id) => `${path}: ${id}`));
}

function markdownIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(dir, name));
}

/** docs/*.md, README.md, packages/*\/README.md and apps/host/README.md. */
function citingFiles(): Array<[string, string]> {
  const packages = readdirSync(join(repoRoot, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(repoRoot, 'packages', entry.name, 'README.md'));
  const files = [...markdownIn(join(repoRoot, 'docs')), join(repoRoot, 'README.md'), ...packages, join(repoRoot, 'apps', 'host', 'README.md')];
  return files.filter((file) => existsSync(file)).map((file) => [relative(repoRoot, file), readFileSync(file, 'utf8')]);
}

// Rendering refuses a malformed file; the first test then says what is wrong with it.
const page = parsed.problems.length === 0 ? renderCompatibilityPage(decisionsText) : '';
const knownIds = new Set(parsed.decisions.map((decision) => decision.id));
const marked = parsed.decisions.filter((decision) => decision.difference);

describe('decisions.md', () => {
  it('has only well-formed decision lines, each with its own anchor', () => {
    expect(parsed.problems).toEqual([]);
    const bullets = decisionsText.split('\n').filter((line) => /^- (<a [^>]*><\/a>)?[DP]\d+\./.test(line));
    expect(parsed.decisions).toHaveLength(bullets.length);
    for (const decision of parsed.decisions) expect(parsed.anchors.has(decision.anchor)).toBe(true);
  });

  it('numbers D1–D22 and P1… uniquely and without gaps', () => {
    expect(numberingProblems(parsed.decisions)).toEqual([]);
    expect(parsed.decisions.filter((decision) => decision.kind === 'D').map((decision) => decision.number)).toEqual(
      Array.from({ length: 22 }, (_, index) => index + 1),
    );
  });

  it('defines every D# and P# the docs and READMEs cite', () => {
    const files = citingFiles();
    expect(files.map(([path]) => path)).toEqual(expect.arrayContaining(['README.md', 'docs/decisions.md', 'apps/host/README.md']));
    expect(unknownCitations(files, knownIds)).toEqual([]);
  });

  it('marks differences with an upstream behaviour and a reason', () => {
    expect(marked.length).toBeGreaterThan(0);
    for (const decision of marked) {
      expect(decision.difference!.upstream.length, decision.id).toBeGreaterThan(10);
      expect(decision.difference!.why.length, decision.id).toBeGreaterThan(10);
      expect(decision.text).not.toContain('**Upstream:**');
    }
  });
});

describe('the compatibility page', () => {
  it('is generated at reference/compatibility.md from decisions.md', async () => {
    const pages = await generateCompatibilityTable();
    expect(pages).toEqual([{ path: PAGE_PATH, content: page }]);
    expect(page.startsWith('<!-- Generated by docs/scripts/generate.ts')).toBe(true);
  });

  it('lists every marked decision exactly once, linked to an anchor that exists', () => {
    expect(tableRows(page)).toHaveLength(marked.length);
    expect(tableProblems(page, parsed.decisions, parsed.anchors)).toEqual([]);
  });

  it('puts each row under its area and states the upstream behaviour, this host and the reason', () => {
    for (const decision of marked) {
      const row = page.split('\n').find((line) => line.startsWith(`| [${decision.id}](`));
      expect(row, decision.id).toBeDefined();
      expect(row!.split(/(?<!\\)\|/).slice(1, -1)).toHaveLength(4);
      const heading = page.lastIndexOf('\n### ', page.indexOf(row!));
      expect(page.slice(heading + 5, page.indexOf('\n', heading + 1)), decision.id).toBe(decision.area);
    }
  });

  it('takes the ABI facts from abi-struct', () => {
    for (const level of HOST_ABI_LEVELS) {
      const size = hostTableSize(level);
      expect(page).toMatch(new RegExp(`^\\| ${level}( \\(default\\))? \\|.*\\| ${size === 0 ? '—' : `${size} bytes`} \\|$`, 'm'));
    }
  });
});

describe('the checks catch mistakes', () => {
  // D1–D7: the page's introduction links to some of them.
  const sample = [
    '## Storage',
    '',
    ...Array.from({ length: 7 }, (_, index) => `- <a id="d${index + 1}"></a>D${index + 1}. A founding decision.`),
    '- <a id="p1"></a>P1. Same as upstream.',
    '- <a id="p2"></a>P2. Differs. **Upstream:** does the other thing. **Why:** because it hides bugs.',
  ].join('\n');

  it('parses a marked line into its parts and area', () => {
    const { decisions, problems } = parseDecisions(sample);
    expect(problems).toEqual([]);
    expect(decisions.find((decision) => decision.id === 'P2')).toMatchObject({
      area: 'Storage',
      text: 'Differs.',
      difference: { upstream: 'does the other thing.', why: 'because it hides bugs.' },
    });
  });

  it('reports a wrong anchor, a missing anchor and a mark without its reason', () => {
    const problems = parseDecisions(
      [
        '- <a id="p9"></a>P1. Wrong anchor.',
        '- P2. No anchor.',
        '- <a id="p3"></a>P3. Half a mark. **Upstream:** does X.',
        '- <a id="p4"></a>P4. Backwards. **Why:** Y. **Upstream:** X.',
      ].join('\n'),
    ).problems;
    expect(problems).toHaveLength(4);
    expect(() => renderCompatibilityPage('- <a id="p3"></a>P3. Half. **Upstream:** X.')).toThrow(/P3/);
  });

  it('reports repeated, missing and surplus numbers', () => {
    const { decisions } = parseDecisions(
      ['- <a id="d1"></a>D1. a', '- <a id="p1"></a>P1. a', '- <a id="p1"></a>P1. again', '- <a id="p3"></a>P3. gap'].join('\n'),
    );
    expect(numberingProblems(decisions, 1)).toEqual(['P1 appears more than once', 'P2 is missing (numbers run 1–3)']);
    expect(numberingProblems(decisions, 22)).toContain('the founding decisions run D1–D1, expected D1–D22');
  });

  it('reports a dropped, repeated, unmarked or dangling row', () => {
    const { decisions, anchors } = parseDecisions(sample);
    const good = renderCompatibilityPage(sample);
    expect(tableProblems(good, decisions, anchors)).toEqual([]);
    const row = good.split('\n').find((line) => line.startsWith('| [P2]'))!;
    expect(tableProblems(good.replace(row, ''), decisions, anchors)).toEqual(['P2 is marked but appears 0 times']);
    expect(tableProblems(good.replace(row, `${row}\n${row}`), decisions, anchors)).toEqual(['P2 is marked but appears 2 times']);
    expect(tableProblems(`${good}| [P1](/decisions#p1) | a | b | c |\n`, decisions, anchors)).toEqual(['P1 is not marked but has a row']);
    expect(tableProblems(good.replace('/decisions#p2', '/decisions#p20'), decisions, anchors)).toEqual([
      'P2 links to #p20, which decisions.md lacks',
      'link to /decisions#p20 has no anchor',
    ]);
  });

  it('reports a citation decisions.md does not define', () => {
    expect(citedDecisionIds('see D9, P32 and P999; not P2P or MP3')).toEqual(['D9', 'P32', 'P999']);
    expect(unknownCitations([['x.md', 'as P999 and D23 say, unlike P1']], knownIds)).toEqual(['x.md: P999', 'x.md: D23']);
  });
});
