import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CONSENT_FILE, CrashGuard, DEV_INSTALL_FILE, DEV_INSTALL_MESSAGE, installFromPath, quarantineMessage, RECEIPT_FILE, scanPlugins, toolsRoot } from './index.js';
import { packageDirectory, publisherKey, temporaryDirectory } from './test-support/plugins.js';

const key = publisherKey();
const options = { hostBuild: 'host-1', trustedKeys: [key.publicKey] };

describe('scanPlugins verification', () => {
  let home: string;
  let versionDir: string;
  let library: string;

  beforeEach(async () => {
    home = temporaryDirectory();
    const result = await installFromPath(packageDirectory(temporaryDirectory(), 'dev.test.scan', '1.0.0', { key }), { home, trustedKeys: [key.publicKey], consent: true });
    versionDir = result.directory;
    library = result.library;
  });

  it('passes a signed, receipted, consented install', () => {
    const scan = scanPlugins(home, options);
    expect(scan.failures).toEqual([]);
    expect(scan.plugins).toEqual([{ pluginId: 'dev.test.scan', version: '1.0.0', directory: versionDir, library }]);
  });

  it('reports a tampered library with the upstream checksum message', () => {
    appendFileSync(library, 'x');
    expect(scanPlugins(home, options).failures).toEqual([
      { pluginId: 'dev.test.scan', library, reason: 'checksum_mismatch', message: 'Checksum verification failed - plugin file may be corrupted or tampered with' },
    ]);
  });

  it('accepts an upper-case receipt hash', () => {
    const receipt = JSON.parse(readFileSync(join(versionDir, RECEIPT_FILE), 'utf8'));
    writeFileSync(join(versionDir, RECEIPT_FILE), JSON.stringify({ ...receipt, dylib_sha256: receipt.dylib_sha256.toUpperCase() }));
    expect(scanPlugins(home, options).failures).toEqual([]);
  });

  it.each([
    ['missing', null, 'Missing receipt.json - plugin cannot be verified'],
    ['not JSON', '{', 'Failed to parse receipt.json'],
    ['without a hash', '{"plugin_id":"dev.test.scan"}', 'Failed to parse receipt.json'],
  ])('reports a receipt that is %s', (_, content, message) => {
    rmSync(join(versionDir, RECEIPT_FILE));
    if (content !== null) writeFileSync(join(versionDir, RECEIPT_FILE), content);
    expect(scanPlugins(home, options).failures.map((f) => f.message)).toEqual([message]);
  });

  it('requires a signature by a trusted publisher', () => {
    expect(scanPlugins(home, { ...options, trustedKeys: [publisherKey().publicKey] }).failures[0]?.message).toMatch(
      /^Plugin code signature is invalid or missing - plugins must be signed with a trusted minisign key \(Signature verification failed: signed by key [0-9A-F]{16}, which is not a trusted publisher key/,
    );
    rmSync(`${library}.minisig`);
    expect(scanPlugins(home, options).failures[0]).toMatchObject({ reason: 'signature_invalid', message: expect.stringContaining('.minisig not found') });
  });

  it('skips every check with the dev flag', () => {
    rmSync(join(versionDir, CONSENT_FILE));
    rmSync(join(versionDir, RECEIPT_FILE));
    appendFileSync(library, 'x');
    expect(scanPlugins(home, options).failures).toHaveLength(1);
    expect(scanPlugins(home, { ...options, dev: true }).plugins.map((p) => p.pluginId)).toEqual(['dev.test.scan']);
  });

  it('records a dev install, which a scan without dev skips with how to load it; a signed reinstall clears it', async () => {
    const dev = await installFromPath(packageDirectory(temporaryDirectory(), 'dev.test.unsigned', '0.1.0'), { home, dev: true });
    expect(existsSync(join(dev.directory, DEV_INSTALL_FILE))).toBe(true);
    expect(scanPlugins(home, options).failures).toEqual([{ pluginId: 'dev.test.unsigned', library: dev.library, reason: 'dev_install', message: DEV_INSTALL_MESSAGE }]);
    expect(DEV_INSTALL_MESSAGE).toMatch(/serve --dev/);
    expect(scanPlugins(home, { ...options, dev: true }).plugins.map((p) => p.pluginId).sort()).toEqual(['dev.test.scan', 'dev.test.unsigned']);
    const signed = await installFromPath(packageDirectory(temporaryDirectory(), 'dev.test.unsigned', '0.1.0', { key }), { home, trustedKeys: [key.publicKey], consent: true });
    expect(existsSync(join(signed.directory, DEV_INSTALL_FILE))).toBe(false);
    expect(scanPlugins(home, options).failures).toEqual([]);
  });

  it('reports missing consent with the consent_required prefix', () => {
    rmSync(join(versionDir, CONSENT_FILE));
    expect(scanPlugins(home, options).failures[0]).toMatchObject({ reason: 'consent_required', message: 'consent_required: Plugin has not been approved for loading' });
  });

  it('one bad plugin does not stop the others', async () => {
    await installFromPath(packageDirectory(temporaryDirectory(), 'dev.test.other', '2.0.0', { key }), { home, trustedKeys: [key.publicKey], consent: true });
    appendFileSync(library, 'x');
    const scan = scanPlugins(home, options);
    expect(scan.plugins.map((p) => p.pluginId)).toEqual(['dev.test.other']);
    expect(scan.failures.map((f) => f.pluginId)).toEqual(['dev.test.scan']);
  });

  it('reports quarantined plugins, version-less and library-less directories, and two libraries for one id; skips data-only directories', () => {
    new CrashGuard(toolsRoot(home), 'host-1').quarantine('dev.test.scan');
    mkdirSync(join(toolsRoot(home), 'dev.test.empty', 'not-a-version'), { recursive: true });
    mkdirSync(join(toolsRoot(home), 'dev.test.empty', 'data'), { recursive: true });
    // Just a database (a library run from elsewhere keeps its data here): not an install, not a failure.
    mkdirSync(join(toolsRoot(home), 'dev.test.loose', 'data'), { recursive: true });
    writeFileSync(join(toolsRoot(home), 'dev.test.loose', 'data', 'data.db'), '');
    mkdirSync(join(toolsRoot(home), 'dev.test.nolib', '1.0.0'), { recursive: true });
    mkdirSync(join(toolsRoot(home), 'dev.test.two', '1.0.0', 'sub'), { recursive: true });
    writeFileSync(join(toolsRoot(home), 'dev.test.two', '1.0.0', 'liba.so'), '');
    writeFileSync(join(toolsRoot(home), 'dev.test.two', '1.0.0', 'sub', 'libb.so'), '');
    const messages = Object.fromEntries(scanPlugins(home, options).failures.map((f) => [f.pluginId, f.message]));
    expect(messages).toEqual({
      'dev.test.scan': quarantineMessage('dev.test.scan'),
      'dev.test.empty': 'No valid version directory found',
      'dev.test.nolib': 'No dylib file found in plugin directory',
      'dev.test.two': 'Two plugin libraries claim the id dev.test.two: liba.so, libb.so; remove all but one',
    });
  });
});
