// A C plugin scaffold, and a minisign signature that verifies and rejects tampering.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScaffold, generateMinisignKeyPair, minisignSign, verifyMinisign } from '@osr-host/lifecycle';

const scaffold = createScaffold('smoke', { language: 'c', directory: join(mkdtempSync(join(tmpdir(), 'osr-smoke-lifecycle-')), 'smoke') });
assert.ok(scaffold.files.includes('osaurus-plugin.json'), scaffold.files.join(', '));
const keys = generateMinisignKeyPair();
const data = Buffer.from('libsmoke.so bytes');
const signature = minisignSign(data, keys);
verifyMinisign(data, signature, [keys.publicKey]);
assert.throws(() => verifyMinisign(Buffer.from('tampered'), signature, [keys.publicKey]));
console.log(`scaffolded ${scaffold.pluginId} (${scaffold.files.length} files); minisign signature verified, tampering refused`);
