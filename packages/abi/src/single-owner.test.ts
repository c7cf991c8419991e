import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_ID, HOST_SLOTS, LOG_LEVEL_NAMES, TASK_EVENT } from './index.js';

/**
 * The contract has one owner: no other package (and not the app) declares its
 * own copy of a slot-name list (six or more names in a row), task-event numbers, a log level table, the
 * default agent id or a UUID pattern. Tests and test support may spell
 * values out; shipped source imports them from @osr-host/abi.
 */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

const slotName = `(?:${HOST_SLOTS.map((slot) => slot.name).join('|')})`;
const quotedSlot = `['"\`]${slotName}['"\`]`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a re-declaration looks like in TypeScript source. */
const DETECTORS: Record<string, RegExp> = {
  'a slot-name list': new RegExp(`${quotedSlot}(?:\\s*[,|]\\s*${quotedSlot}){5,}|name:\\s*${quotedSlot}`),
  'task-event numbers': new RegExp(`\\b(?:${Object.keys(TASK_EVENT).join('|')})\\s*:\\s*\\d`),
  'a log level table': new RegExp(`['"]${LOG_LEVEL_NAMES[0]}['"]\\s*,\\s*['"]${LOG_LEVEL_NAMES[1]}['"]|\\[\\s*200\\s*,\\s*200\\s*,\\s*200\\s*,\\s*299`),
  'the default agent id': new RegExp(escapeRegExp(DEFAULT_AGENT_ID), 'i'),
  'a UUID pattern': /\{8\}-\[0-9a-f/i,
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return entry === 'test-support' || entry === 'node_modules' ? [] : sourceFiles(path);
    return /\.(?:ts|mts)$/.test(entry) && !/\.(?:test|bench)\.ts$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

function sourceRoots(): string[] {
  const roots: string[] = [];
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(repositoryRoot, parent))) {
      const src = join(repositoryRoot, parent, name, 'src');
      if (!(parent === 'packages' && name === 'abi') && statSync(src, { throwIfNoEntry: false })?.isDirectory()) roots.push(src);
    }
  }
  return roots;
}

function redeclarations(text: string): string[] {
  return Object.entries(DETECTORS)
    .filter(([, pattern]) => pattern.test(text))
    .map(([what]) => what);
}

describe('the host-API contract has one owner', () => {
  it('finds no slot-name list, task-event numbers, log level table, default agent id or UUID pattern outside @osr-host/abi', () => {
    const roots = sourceRoots();
    expect(roots.length).toBeGreaterThan(10);
    const found = roots
      .flatMap(sourceFiles)
      .flatMap((file) => redeclarations(readFileSync(file, 'utf8')).map((what) => `${relative(repositoryRoot, file)}: ${what}`));
    expect(found).toEqual([]);
  });

  it('recognises each kind of re-declaration it forbids', () => {
    const samples: Record<string, string> = {
      'a slot-name list': "const names = ['config_get', 'config_set', 'config_delete', 'db_exec', 'db_query', 'log'];",
      'task-event numbers': 'export const TaskEventType = { STARTED: 0, ACTIVITY: 1 } as const;',
      'a log level table': "export const LOG_LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;",
      'the default agent id': "export const defaultAgentId = '00000000-0000-0000-0000-000000000001';",
      'a UUID pattern': 'const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;',
    };
    for (const [what, sample] of Object.entries(samples)) expect(redeclarations(sample), what).toEqual([what]);
    // A few slots named for what they share (the ops that run under an agent) are not the slot list.
    expect(redeclarations("type AgentOp = 'dispatch' | 'complete' | 'complete_stream' | 'embed';")).toEqual([]);
  });
});
