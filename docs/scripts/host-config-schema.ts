import { HOST_CONFIG_SCHEMA } from '../../apps/host/src/host-config.ts';
import { GENERATED_PATHS, type GeneratedPage } from './page.ts';

/**
 * host.json's JSON Schema, served at `/host.schema.json` so an editor can check the file
 * (`"$schema"` in host.json). It is the schema the host itself validates with, written out.
 */
export async function generateHostConfigSchema(): Promise<GeneratedPage[]> {
  return [{ path: GENERATED_PATHS.hostConfigSchema, content: `${JSON.stringify(HOST_CONFIG_SCHEMA, null, 2)}\n` }];
}
