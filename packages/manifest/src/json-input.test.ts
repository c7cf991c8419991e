import { describe, expect, it } from 'vitest';
import { inspectJsonValue, MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, scanJsonText } from './json-input.js';
import { parseManifest } from './parse.js';

const valid = '{"plugin_id":"com.example.p","capabilities":{}}';

/** A valid manifest padded with whitespace to exactly `bytes` bytes. */
function paddedTo(bytes: number): string {
  return valid + ' '.repeat(bytes - valid.length);
}

function problemsOf(input: unknown) {
  const result = parseManifest(input);
  if (result.ok) throw new Error('expected the manifest to be refused');
  return result.problems.map(({ code, path }) => ({ code, path }));
}

describe('bad input never crashes and gets a clear problem', () => {
  it.each<[string, unknown, { code: string; path: string }[]]>([
    ['not JSON', '{plugin_id: nope}', [{ code: 'invalid_json', path: '$' }]],
    ['truncated JSON', valid.slice(0, -1), [{ code: 'invalid_json', path: '$' }]],
    ['an empty string', '', [{ code: 'invalid_json', path: '$' }]],
    ['a JSON array', '[]', [{ code: 'not_an_object', path: '$' }]],
    ['a JSON string', '"manifest"', [{ code: 'not_an_object', path: '$' }]],
    ['JSON null', 'null', [{ code: 'not_an_object', path: '$' }]],
    ['a JSON number', '42', [{ code: 'not_an_object', path: '$' }]],
    ['a decoded array', [1], [{ code: 'not_an_object', path: '$' }]],
    ['undefined', undefined, [{ code: 'not_an_object', path: '$' }]],
    ['a manifest over 1 MiB', paddedTo(MAX_MANIFEST_BYTES + 1), [{ code: 'too_large', path: '$' }]],
    ['bytes over 1 MiB', new TextEncoder().encode(paddedTo(MAX_MANIFEST_BYTES + 1)), [{ code: 'too_large', path: '$' }]],
    ['100k nested arrays', '['.repeat(100_000) + ']'.repeat(100_000), [{ code: 'too_deep', path: '$' }]],
    ['100k unclosed nested objects', '{"a":'.repeat(100_000), [{ code: 'too_deep', path: '$' }]],
    ['invalid UTF-8 bytes', Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), [{ code: 'invalid_encoding', path: '$' }]],
    [
      'duplicate keys',
      '{"plugin_id":"a","capabilities":{"tools":[{"id":"t","description":"d","id":"u"}]},"plugin_id":"b"}',
      [
        { code: 'duplicate_key', path: '$.capabilities.tools[0].id' },
        { code: 'duplicate_key', path: '$.plugin_id' },
      ],
    ],
    ['a duplicate key spelled with an escape', '{"plugin_id":"a","capabilities":{},"plugin\\u005fid":"b"}', [{ code: 'duplicate_key', path: '$.plugin_id' }]],
    ['a duplicate odd key', '{"plugin_id":"a","capabilities":{"x y":1,"x y":2}}', [{ code: 'duplicate_key', path: '$.capabilities["x y"]' }]],
    ['a NUL in a value', '{"plugin_id":"a\\u0000b","capabilities":{}}', [{ code: 'nul_character', path: '$.plugin_id' }]],
    [
      'a NUL deep inside tool parameters',
      '{"plugin_id":"a","capabilities":{"tools":[{"id":"t","description":"d","parameters":{"enum":["ok","\\u0000"]}}]}}',
      [{ code: 'nul_character', path: '$.capabilities.tools[0].parameters.enum[1]' }],
    ],
    ['a NUL in a key', '{"plugin_id":"a","capabilities":{},"\\u0000x":1}', [{ code: 'nul_character', path: '$["\\u0000x"]' }]],
  ])('%s', (_name, input, expected) => {
    expect(problemsOf(input)).toEqual(expected);
  });

  it('accepts a manifest of exactly 1 MiB, as text and as bytes', () => {
    const text = paddedTo(MAX_MANIFEST_BYTES);
    expect(parseManifest(text).ok).toBe(true);
    expect(parseManifest(new TextEncoder().encode(text)).ok).toBe(true);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const description = 'é'.repeat(MAX_MANIFEST_BYTES / 2);
    const text = JSON.stringify({ plugin_id: 'p', capabilities: {}, description });
    expect(text.length).toBeLessThan(MAX_MANIFEST_BYTES);
    expect(problemsOf(text)).toEqual([{ code: 'too_large', path: '$' }]);
  });

  it('names the problem in words a plugin author can act on', () => {
    const result = parseManifest('{"plugin_id": "a",}');
    expect(!result.ok && result.problems[0]!.message).toMatch(/^Not valid JSON: .+\. Fix the JSON syntax/);
    const tooDeep = parseManifest('['.repeat(1000));
    expect(!tooDeep.ok && tooDeep.problems[0]!.message).toContain(`more than ${MAX_MANIFEST_DEPTH} levels`);
    const notObject = parseManifest('[]');
    expect(!notObject.ok && notObject.problems[0]!.message).toMatch(/must be a JSON object .* not an array/);
  });

  it('still reports type problems next to a duplicate key', () => {
    expect(problemsOf('{"plugin_id":"a","plugin_id":3,"capabilities":{}}')).toEqual([
      { code: 'duplicate_key', path: '$.plugin_id' },
      { code: 'invalid_type', path: '$.plugin_id' },
    ]);
  });
});

describe('scanJsonText', () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(scanJsonText(nested(MAX_MANIFEST_DEPTH))).toEqual([]);
    expect(scanJsonText(nested(MAX_MANIFEST_DEPTH + 1)).map((problem) => problem.code)).toEqual(['too_deep']);
  });

  it('is not fooled by brackets, quotes and escapes inside strings', () => {
    const text = JSON.stringify({ a: '[[[{{{', b: 'say \\"a\\":1, "a"', c: { a: 1 }, d: [{ a: 1 }, { a: 2 }] });
    expect(scanJsonText(text)).toEqual([]);
  });

  it('tracks array indexes and nested keys for the path of a duplicate', () => {
    const problems = scanJsonText('{"a":[{"x":1},{"y":{"z":1,"z":2}}]}');
    expect(problems.map((problem) => problem.path)).toEqual(['$.a[1].y.z']);
  });
});

describe('inspectJsonValue', () => {
  it('reports a cyclic value as too deep instead of looping', () => {
    const cyclic: Record<string, unknown> = { plugin_id: 'p', capabilities: {} };
    (cyclic.capabilities as Record<string, unknown>).self = cyclic;
    expect(inspectJsonValue(cyclic).map((problem) => problem.code)).toEqual(['too_deep']);
    expect(parseManifest(cyclic).ok).toBe(false);
  });

  it('bounds the work on values with shared references', () => {
    let shared: unknown[] = [];
    for (let level = 0; level < 40; level += 1) shared = [shared, shared];
    expect(inspectJsonValue({ plugin_id: 'p', capabilities: { tools: shared } }).map((problem) => problem.code)).toEqual(['too_large']);
  });
});
