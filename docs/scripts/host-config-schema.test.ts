import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { HOST_CONFIG_SCHEMA } from '../../apps/host/src/host-config.ts';
import { generateHostConfigSchema } from './host-config-schema.ts';
import { repositoryRoot } from './page.ts';

describe('host.json schema', () => {
  it('is published as the schema the host validates with, and compiles for an editor', async () => {
    const [page] = await generateHostConfigSchema();
    expect(page!.path).toBe('public/host.schema.json');
    const published = JSON.parse(page!.content) as typeof HOST_CONFIG_SCHEMA;
    expect(published).toEqual(HOST_CONFIG_SCHEMA);
    const validate = new Ajv({ strict: true }).compile(published);
    expect(validate({ $schema: './host.schema.json', isolate: ['a.plugin'], logFormat: 'pretty' })).toBe(true);
    expect(validate({ isolat: true })).toBe(false);
  });

  it('describes every key, and the operator guide lists every key', () => {
    const guide = readFileSync(join(repositoryRoot, 'docs', 'guide', 'operator', 'index.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## host.json'), guide.indexOf('## Logs'));
    for (const [key, property] of Object.entries(HOST_CONFIG_SCHEMA.properties)) {
      expect(property.description, key).toBeTruthy();
      expect(section, key).toContain(`| \`${key}\` |`);
    }
  });
});
