// Manifest validation, the shipped JSON Schema, and the osr-manifest bin.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseManifest } from '@osr-host/manifest';

const manifest = { plugin_id: 'dev.osr.smoke', name: 'Smoke', version: '1.0.0', capabilities: { tools: [{ id: 'echo', description: 'Echo' }] } };
const good = parseManifest(JSON.stringify(manifest), { expectedPluginId: 'dev.osr.smoke' });
assert.ok(good.ok, JSON.stringify(good));
const bad = parseManifest(JSON.stringify({ ...manifest, plugin_id: 'dev.osr.other' }), { expectedPluginId: 'dev.osr.smoke' });
assert.ok(!bad.ok);
const schema = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@osr-host/manifest/manifest.schema.json'), 'utf8'));
assert.equal(typeof schema, 'object');
writeFileSync('smoke-manifest.json', JSON.stringify(manifest));
// Throws on a non-zero exit: the bin is linked and the manifest passes from the command line too.
execFileSync('node_modules/.bin/osr-manifest', ['validate', 'smoke-manifest.json', '--plugin-id', 'dev.osr.smoke']);
console.log(`parseManifest accepted a manifest and refused an id mismatch; JSON Schema loaded; osr-manifest validate passed`);
