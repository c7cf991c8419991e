// Plugin config on the encrypted-file secret store (the fallback that needs no OS keychain).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, EncryptedFileSecretStore, probeKeychain } from '@osr-host/config-keychain';

const filePath = join(mkdtempSync(join(tmpdir(), 'osr-smoke-config-')), 'secrets.enc');
const scope = { pluginId: 'dev.osr.smoke', agentId: '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' };
const write = new ConfigStore({ secrets: new EncryptedFileSecretStore({ filePath, secretKey: 'smoke', warn: () => {} }), warn: () => {} });
await write.set(scope, 'token', 'abc');
const read = new ConfigStore({ secrets: new EncryptedFileSecretStore({ filePath, secretKey: 'smoke', warn: () => {} }), warn: () => {} });
assert.equal(await read.get(scope, 'token'), 'abc');
// The keyring binding must load from the tarball's dependencies; whether a keychain answers depends on the machine.
const keychain = await probeKeychain({ timeoutMs: 2000 });
console.log(`config set and read back through an encrypted secrets file; OS keychain available: ${keychain.available}`);
