import { z } from 'zod';
import { manifestSchema } from './schema.js';

/**
 * The JSON Schema of `manifest.json`, generated from the zod source. It
 * describes what authors write (the input side): `null` is allowed wherever
 * a key is optional and unknown keys are allowed, as the host decoder does.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
