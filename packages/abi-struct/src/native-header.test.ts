import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bridgeHeaderSource, generatedHeaderPath, REGENERATE_COMMAND } from './native-header.js';

describe('generated bridge header', () => {
  it('is committed exactly as the descriptors generate it', () => {
    const generated = bridgeHeaderSource();
    // `npm run generate:native` runs this test with the variable set, to write the file.
    if (process.env.OSR_WRITE_GENERATED === '1') writeFileSync(generatedHeaderPath, generated);
    const committed = readFileSync(generatedHeaderPath, 'utf8');
    expect(committed === generated, `native/osr_slots.generated.h is out of date with the descriptors; run \`${REGENERATE_COMMAND}\` and commit it.`).toBe(true);
  });
});
