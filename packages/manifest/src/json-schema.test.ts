import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from './json-schema.js';

const shippedPath = new URL('../schema/manifest.schema.json', import.meta.url);

describe('schema/manifest.schema.json', () => {
  it('is exactly what the zod source generates (regenerate with `npm run schema -w @osr-host/manifest`)', () => {
    expect(readFileSync(shippedPath, 'utf8')).toBe(`${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
  });

  it('describes what authors write: required keys, null for optional keys, open objects', () => {
    const schema = manifestJsonSchema() as {
      required: string[];
      additionalProperties?: unknown;
      properties: Record<string, { anyOf?: { type?: string }[] }>;
    };
    expect(schema.required).toEqual(['plugin_id', 'capabilities']);
    expect(schema.additionalProperties).toBeUndefined();
    expect(schema.properties.min_osaurus?.anyOf?.map((option) => option.type)).toEqual(['string', 'null']);
  });

  it('is reachable through the package exports map', () => {
    const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(packageJson.exports['./manifest.schema.json']).toBe('./schema/manifest.schema.json');
    expect(packageJson.files).toContain('schema');
  });
});
