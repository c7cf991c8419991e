import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.js';
import { loadManifest, manifestFailureMessage } from './load.js';
import { readFixture } from './test-support/fixtures.js';

function loadError(input: unknown, options?: Parameters<typeof loadManifest>[1]): ManifestError {
  try {
    loadManifest(input, options);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected loadManifest to throw');
}

describe('loadManifest', () => {
  it('returns the manifest and its notes when valid', () => {
    const loaded = loadManifest(readFixture('messaging-bot.json'), { expectedPluginId: 'com.example.telegram', platform: 'linux' });
    expect(loaded.manifest.capabilities.tools?.map((tool) => tool.id)).toEqual(['telegram_send', 'telegram_history', 'telegram_forget']);
    expect(loaded.notes.some((note) => note.includes("min_macos '15.0' is ignored on linux"))).toBe(true);
  });

  it('throws "Failed to parse plugin manifest" with every decoding problem and its path', () => {
    const error = loadError('{"plugin_id": 1, "capabilities": {"routes": [{"id": "r", "path": "/r", "methods": ["GET"], "auth": "admin"}]}}');
    expect(error.code).toBe('invalid_manifest');
    expect(error.message.split('\n')).toEqual([
      'Failed to parse plugin manifest',
      '  - $.plugin_id: Use a string here (got a number).',
      '  - $.capabilities.routes[0].auth: Use one of "none", "verify", "owner" (got "admin").',
    ]);
    expect(error.problems.map((problem) => problem.path)).toEqual(['$.plugin_id', '$.capabilities.routes[0].auth']);
    expect(error.manifest).toBeUndefined();
  });

  it('uses the host load-time wording when the manifest decodes but breaks a rule', () => {
    const error = loadError(readFixture('faq-root-mount-with-health-route.json'), { expectedPluginId: 'com.example.dashboard' });
    expect(error.message).toBe(
      "Plugin com.example.dashboard declares route '/health' under web mount '/'; the static web branch would shadow this route. Move the route outside the web mount or remove the web mount overlap.",
    );
    expect(error.manifest?.plugin_id).toBe('com.example.dashboard');
  });

  it('puts each load-time problem on its own line, identity first', () => {
    const error = loadError(readFixture('id-collisions.json'), { expectedPluginId: 'com.example.renamed' });
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(
      "Plugin manifest declares plugin_id 'com.example.tools' but is installed as 'com.example.renamed'. Reinstall the plugin under its canonical ID.",
    );
    expect(lines.slice(1)).toEqual(error.problems.slice(1).map((problem) => problem.message));
    expect(lines[1]).toContain('Plugin com.example.renamed declares a tool with an empty id');
  });

  it('keeps the JSON syntax error as the cause', () => {
    const error = loadError('{"plugin_id":');
    expect(error.problems.map((problem) => problem.code)).toEqual(['invalid_json']);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('keeps the decoding error of invalid UTF-8 as the cause', () => {
    expect(loadError(Uint8Array.from([0xc3, 0x28])).cause).toBeInstanceOf(TypeError);
  });

  it('has no cause when nothing was thrown underneath', () => {
    expect(loadError('[]').cause).toBeUndefined();
  });
});

describe('manifestFailureMessage', () => {
  it('treats bad input as a parse failure', () => {
    expect(manifestFailureMessage([{ code: 'too_large', path: '$', message: 'Too big.' }])).toBe('Failed to parse plugin manifest\n  - $: Too big.');
  });
});
