// Regenerates schema/manifest.schema.json from the zod source (via the fresh build).
// `npm run schema` builds first; src/json-schema.test.ts fails whenever the file is stale.
import { writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../dist/index.js';

const target = new URL('../schema/manifest.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
