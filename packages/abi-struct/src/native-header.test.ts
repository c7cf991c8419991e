import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bridgeHeaderSource, generatedHeaderPath, publicHeaderPath, publicHeaderSource, REGENERATE_COMMAND } from './native-header.js';

// `npm run generate:native` runs this file with OSR_WRITE_GENERATED=1, to write the headers.
function expectCommitted(path: string, generated: string, name: string): void {
  if (process.env.OSR_WRITE_GENERATED === '1') writeFileSync(path, generated);
  const committed = readFileSync(path, 'utf8');
  expect(committed === generated, `${name} is out of date with the descriptors; run \`${REGENERATE_COMMAND}\` and commit it.`).toBe(true);
}

describe('generated headers', () => {
  it("commit the bridge's trampolines and enums exactly as the descriptors generate them", () => {
    expectCommitted(generatedHeaderPath, bridgeHeaderSource(), 'native/osr_slots.generated.h');
  });

  it('commit the public header exactly as the descriptors generate it', () => {
    expectCommitted(publicHeaderPath, publicHeaderSource(), 'include/osaurus_plugin.h');
  });

  it("declare each host slot's typedef after a comment with its summary and version", () => {
    const header = publicHeaderSource();
    expect(header).toContain('/*\n * log_structured (v5). ');
    expect(header).toContain('typedef void (*osr_log_structured_fn)(int level, const char* message, const char* payload);');
    expect(header).toMatch(/ \* level: .* Levels: 0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR\./);
    expect(header).toContain('typedef const char* (*osr_list_models_fn)(void);');
    expect(header).toContain('osr_on_chunk_fn on_chunk, void* user_data);');
    expect(header).toContain('typedef osr_plugin_ctx_t (*osr_init_fn)(void);');
  });
});
