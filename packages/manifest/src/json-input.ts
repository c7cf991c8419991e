import { formatJsonPath, type PathSegment } from './json-path.js';
import type { ManifestProblem } from './problems.js';

/** Manifests larger than this are refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Deepest array/object nesting accepted. Real manifests (tool parameter
 * schemas included) stay far below it; the limit keeps JSON.parse and every
 * later walk away from stack exhaustion.
 */
export const MAX_MANIFEST_DEPTH = 64;

const tooDeepMessage = `The manifest nests arrays/objects more than ${MAX_MANIFEST_DEPTH} levels deep. Flatten it; real manifests need only a few levels.`;

/**
 * The deepest array/object nesting of JSON text, found in one pass without
 * parsing (brackets inside strings do not count). Stops as soon as the depth
 * passes `stopAbove`, so refusing deep text costs only its first levels.
 */
export function jsonNestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if ((char === 0x5d || char === 0x7d) && depth > 0) depth--;
  }
  return deepest;
}

type Frame =
  | { kind: 'object'; path: PathSegment[]; keys: Set<string>; key: string | undefined; expectKey: boolean }
  | { kind: 'array'; path: PathSegment[]; index: number };

/** Where a new container or string value sits, given the frame that holds it. */
function childPath(frame: Frame | undefined): PathSegment[] {
  if (frame === undefined) return [];
  if (frame.kind === 'array') return [...frame.path, frame.index];
  return frame.key === undefined ? frame.path : [...frame.path, frame.key];
}

/**
 * One pass over JSON text, before JSON.parse, for what JSON.parse cannot
 * report: duplicate keys (it silently keeps the last) and nesting deep
 * enough to overflow its stack. Malformed text is not diagnosed here; the
 * scan just stops being meaningful and JSON.parse reports the syntax error.
 */
export function scanJsonText(text: string): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const stack: Frame[] = [];
  // Jumps between structural characters; everything else (numbers, literals, whitespace) is skipped.
  const structural = /[{}[\],"]/g;
  for (let match = structural.exec(text); match !== null; match = structural.exec(text)) {
    const char = match[0];
    const top = stack[stack.length - 1];
    if (char === '{' || char === '[') {
      if (stack.length >= MAX_MANIFEST_DEPTH) {
        problems.push({ code: 'too_deep', path: '$', message: tooDeepMessage });
        return problems;
      }
      const path = childPath(top);
      stack.push(
        char === '{'
          ? { kind: 'object', path, keys: new Set(), key: undefined, expectKey: true }
          : { kind: 'array', path, index: 0 },
      );
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',') {
      if (top?.kind === 'array') top.index += 1;
      else if (top?.kind === 'object') top.expectKey = true;
    } else {
      const end = endOfString(text, match.index);
      if (top?.kind === 'object' && top.expectKey) {
        const key = decodeKey(text.slice(match.index, end));
        if (key !== undefined) {
          if (top.keys.has(key)) {
            problems.push({
              code: 'duplicate_key',
              path: formatJsonPath([...top.path, key]),
              message: `The key ${JSON.stringify(key)} appears more than once in this object. Keep one of them: parsers disagree on which one wins.`,
            });
          }
          top.keys.add(key);
          top.key = key;
        }
        top.expectKey = false;
      }
      structural.lastIndex = end;
    }
  }
  return problems;
}

/** Index just past the closing quote of the string literal starting at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const quote = text.indexOf('"', index);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    index = quote + 1;
  }
  return text.length;
}

function decodeKey(literal: string): string | undefined {
  if (!literal.includes('\\')) return literal.slice(1, -1);
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

/**
 * Walks a decoded value (iteratively, so hostile input cannot overflow the
 * stack) and reports nesting beyond the limit (cycles included) and strings
 * or keys holding NUL, which would truncate them once they cross the C ABI.
 */
export function inspectJsonValue(root: unknown): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const pending: WalkNode[] = [{ value: root, depth: 0 }];
  // Bounds the work on values handed over already decoded, where shared
  // references could make the tree far bigger than any 1 MiB text.
  let budget = MAX_MANIFEST_BYTES;
  while (pending.length > 0) {
    budget -= 1;
    if (budget < 0) return [...problems, tooLargeProblem()];
    const node = pending.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      if (value.includes('\0')) problems.push(nulProblem(pathOf(node), 'value'));
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (node.depth >= MAX_MANIFEST_DEPTH) {
      return [...problems, { code: 'too_deep', path: '$', message: tooDeepMessage }];
    }
    const depth = node.depth + 1;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) {
        pending.push({ value: value[index], depth, parent: node, segment: index });
      }
      continue;
    }
    const keys = Object.keys(value);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index]!;
      const child: WalkNode = { value: (value as Record<string, unknown>)[key], depth, parent: node, segment: key };
      if (key.includes('\0')) problems.push(nulProblem(pathOf(child), 'key'));
      pending.push(child);
    }
  }
  return problems;
}

/** A value met during the walk; the path is rebuilt from parents only when a problem needs it. */
interface WalkNode {
  value: unknown;
  depth: number;
  parent?: WalkNode;
  segment?: PathSegment;
}

function pathOf(node: WalkNode): PathSegment[] {
  const segments: PathSegment[] = [];
  for (let current: WalkNode | undefined = node; current?.segment !== undefined; current = current.parent) {
    segments.push(current.segment);
  }
  return segments.reverse();
}

export function tooLargeProblem(): ManifestProblem {
  return {
    code: 'too_large',
    path: '$',
    message: `The manifest is larger than ${MAX_MANIFEST_BYTES} bytes (1 MiB). Shrink it: move long texts to README.md and trim tool parameter schemas.`,
  };
}

function nulProblem(path: PathSegment[], what: 'key' | 'value'): ManifestProblem {
  return {
    code: 'nul_character',
    path: formatJsonPath(path),
    message: `This ${what} contains a NUL character (\\u0000), which would cut it short when passed to C. Remove the NUL.`,
  };
}
