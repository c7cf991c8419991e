import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONSENT_FILE,
  type FileWriter,
  installFromPath,
  installFromRegistry,
  type InstallProgress,
  LifecycleError,
  listPlugins,
  minisignSign,
  parsePackageName,
  readConsent,
  readTrustedKeys,
  removePlugin,
  scanPlugins,
  STAGING_DIRECTORY,
  toolsRoot,
  upgradePlugin,
} from './index.js';
import { hostPlatform, sha256Hex } from './receipt.js';
import { manifestWith, packageDirectory, pluginLibrary, publisherKey, temporaryDirectory } from './test-support/plugins.js';
import { buildZip, type ZipEntry } from './zip-writer.js';

const key = publisherKey();
const trustedKeys = [key.publicKey];
const ID = 'dev.test.install';
const packageRoot = resolve(import.meta.dirname, '..');

/** Everything under a directory, as relative paths with file contents, to prove nothing changed. */
function snapshot(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) files[prefix + entry.name] = `-> ${readlinkSync(path)}`;
      else if (entry.isDirectory()) visit(path, `${prefix}${entry.name}/`);
      else files[prefix + entry.name] = sha256Hex(readFileSync(path));
    }
  };
  if (existsSync(directory)) visit(directory, '');
  return files;
}

function signedEntries(prefix = ''): ZipEntry[] {
  const library = readFileSync(pluginLibrary());
  return [
    { name: `${prefix}libplugin.so`, data: library },
    { name: `${prefix}libplugin.so.minisig`, data: minisignSign(library, key) },
    { name: `${prefix}README.md`, data: '# plugin' },
  ];
}

function zipFile(name: string, entries: ZipEntry[]): string {
  const path = join(temporaryDirectory(), name);
  writeFileSync(path, buildZip(entries));
  return path;
}

async function installedHome(): Promise<string> {
  const home = temporaryDirectory();
  await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys, consent: true });
  return home;
}

async function expectRefused(home: string, action: Promise<unknown>, pattern: RegExp): Promise<void> {
  const before = snapshot(join(toolsRoot(home), ID));
  await expect(action).rejects.toThrow(pattern);
  expect(snapshot(join(toolsRoot(home), ID))).toEqual(before);
  expect(readdirSync(join(toolsRoot(home), STAGING_DIRECTORY))).toEqual([]);
}

describe('parsePackageName', () => {
  it('scans hyphens from the right for a strict semver', () => {
    expect(parsePackageName('my-plugin-2.3.1-beta.zip')).toEqual({ pluginId: 'my-plugin', version: '2.3.1-beta' });
    expect(() => parsePackageName('plugin.zip')).toThrow('Invalid naming format. Expected: <plugin_id>-<version>.zip (e.g., my-plugin-1.0.0.zip)');
  });
});

describe('installFromPath', () => {
  it('installs a directory with receipt, consent, current link and one progress line per step', async () => {
    const home = temporaryDirectory();
    const progress: InstallProgress[] = [];
    const result = await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys, consent: true, onProgress: (e) => progress.push(e) });
    expect(progress.map((e) => e.step)).toEqual(['resolve', 'unpack', 'validate', 'verify', 'consent', 'commit', 'done']);
    expect(result).toMatchObject({ pluginId: ID, version: '1.0.0', previousVersion: null, consent: 'granted' });
    expect(readlinkSync(join(toolsRoot(home), ID, 'current'))).toBe('1.0.0');
    const receipt = JSON.parse(readFileSync(join(result.directory, 'receipt.json'), 'utf8'));
    expect(receipt).toMatchObject({ plugin_id: ID, version: '1.0.0', dylib_sha256: sha256Hex(readFileSync(result.library)), platform: hostPlatform().os });
    expect(scanPlugins(home, { hostBuild: 'b', trustedKeys }).plugins.map((p) => p.library)).toEqual([result.library]);
  });

  it('installs a zip, unwrapping a single top-level folder', async () => {
    const home = temporaryDirectory();
    const result = await installFromPath(zipFile(`${ID}-1.0.0.zip`, [{ name: 'pkg/' }, ...signedEntries('pkg/')]), { home, trustedKeys, consent: true });
    expect(result.library).toBe(join(toolsRoot(home), ID, '1.0.0', 'libplugin.so'));
    expect(existsSync(join(result.directory, 'README.md'))).toBe(true);
    expect(scanPlugins(home, { hostBuild: 'b', trustedKeys }).failures).toEqual([]);
  });

  it('leaves consent out when the user declines, so the scan reports consent_required', async () => {
    const home = temporaryDirectory();
    const result = await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys, onConsent: () => false });
    expect(result.consent).toBe('not_granted');
    expect(scanPlugins(home, { hostBuild: 'b', trustedKeys }).failures[0]?.reason).toBe('consent_required');
  });

  it('leaves consent out of a sideload unless the operator gave it up front', async () => {
    const home = temporaryDirectory();
    const result = await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys });
    expect(result.consent).toBe('not_granted');
    expect(existsSync(join(result.directory, CONSENT_FILE))).toBe(false);
  });

  it('carries consent forward on upgrade unless the requirements widened', async () => {
    const home = temporaryDirectory();
    const source = temporaryDirectory();
    await installFromPath(packageDirectory(source, ID, '1.0.0', { key }), { home, trustedKeys, consent: true, manifest: manifestWith(ID, ['network']) });
    const asked: unknown[] = [];
    const same = await installFromPath(packageDirectory(source, ID, '1.1.0', { key }), {
      home,
      trustedKeys,
      manifest: manifestWith(ID, ['network']),
      onConsent: (request) => asked.push(request) > 0,
    });
    expect(same).toMatchObject({ consent: 'carried_forward', previousVersion: '1.0.0', widened: [] });
    expect(asked).toEqual([]);
    const wider = await installFromPath(packageDirectory(source, ID, '1.2.0', { key }), { home, trustedKeys, manifest: manifestWith(ID, ['network', 'filesystem']) });
    expect(wider).toMatchObject({ consent: 'not_granted', widened: ['hello:filesystem'] });
    expect(existsSync(join(wider.directory, CONSENT_FILE))).toBe(false);
    const approved = await installFromPath(packageDirectory(source, ID, '1.3.0', { key }), {
      home,
      trustedKeys,
      manifest: manifestWith(ID, ['network', 'filesystem']),
      onConsent: (request) => request.previousVersion === '1.2.0' && request.requirements?.includes('hello:filesystem') === true,
    });
    expect(approved.consent).toBe('granted');
    expect(readConsent(approved.directory)?.requirements).toEqual(['hello:filesystem', 'hello:network']);
  });

  it('reads the manifest through the injected reader and refuses an id that differs from the directory', async () => {
    const home = await installedHome();
    const readManifest = async (library: string) => {
      expect(existsSync(library)).toBe(true);
      return manifestWith('dev.someone.else');
    };
    await expectRefused(
      home,
      installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys, readManifest }),
      /plugin_id.*dev\.someone\.else/,
    );
  });

  it('refuses a manifest file in the package that claims another id', async () => {
    const home = await installedHome();
    const source = packageDirectory(temporaryDirectory(), ID, '2.0.0', { key, extra: { 'osaurus-plugin.json': '{"plugin_id":"dev.other","version":"2.0.0"}' } });
    await expectRefused(home, installFromPath(source, { home, trustedKeys }), /osaurus-plugin.json declares plugin_id "dev.other"/);
  });

  it('refuses two libraries claiming one id', async () => {
    const home = await installedHome();
    const source = packageDirectory(temporaryDirectory(), ID, '2.0.0', { key, extra: { 'lib/libsecond.so': 'second' } });
    await expectRefused(home, installFromPath(source, { home, trustedKeys }), /2 libraries claim the id dev.test.install/);
  });

  it.each([
    ['a zip-slip entry', [{ name: '../../escaped.so', data: 'x' }], /points outside the plugin directory/],
    ['an absolute entry', [{ name: '/tmp/escaped.so', data: 'x' }], /points outside the plugin directory/],
    ['a symlink entry', [{ name: 'libplugin.so', data: '/etc/passwd', mode: 0o120777 }], /is a symbolic link/],
  ])('refuses an archive with %s and writes nothing outside staging', async (_, bad, pattern) => {
    const home = await installedHome();
    const archive = zipFile(`${ID}-2.0.0.zip`, [...signedEntries(), ...(bad as ZipEntry[])]);
    await expectRefused(home, installFromPath(archive, { home, trustedKeys }), pattern);
    expect(existsSync(join(home, 'escaped.so'))).toBe(false);
    expect(existsSync(join(toolsRoot(home), 'escaped.so'))).toBe(false);
  });

  it('refuses a symlink inside a source directory', async () => {
    const home = await installedHome();
    const source = packageDirectory(temporaryDirectory(), ID, '2.0.0', { key });
    symlinkSync('/etc/passwd', join(source, 'passwd'));
    await expectRefused(home, installFromPath(source, { home, trustedKeys }), /is a symbolic link/);
  });

  it('refuses a wrong or missing signature, and installs unsigned only in dev mode', async () => {
    const home = await installedHome();
    const forged = packageDirectory(temporaryDirectory(), ID, '2.0.0', { key: publisherKey() });
    await expectRefused(home, installFromPath(forged, { home, trustedKeys }), /not a trusted publisher key/);
    const unsigned = packageDirectory(temporaryDirectory(), ID, '2.0.0');
    await expectRefused(home, installFromPath(unsigned, { home, trustedKeys }), /\.minisig not found/);
    const dev = await installFromPath(unsigned, { home, trustedKeys, dev: true });
    expect(dev.consent).toBe('not_needed');
  });

  it('survives a full disk: the old version stays and staging is emptied', async () => {
    const home = await installedHome();
    let budget = 1024; // less than the library
    const fullDisk: FileWriter = {
      writeFile(path, data) {
        const room = Math.max(0, budget);
        writeFileSync(path, data.subarray(0, room));
        budget -= data.length;
        if (budget < 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const error = await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.0.0', { key }), { home, trustedKeys, writer: fullDisk }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleError);
    expect((error as LifecycleError).code).toBe('write_failed');
    expect((error as LifecycleError).message).toMatch(/the disk is full; free some space/);
    expect(scanPlugins(home, { hostBuild: 'b', trustedKeys }).failures).toEqual([]);
    expect(readdirSync(join(toolsRoot(home), STAGING_DIRECTORY))).toEqual([]);
  });

  it('recovers from an install killed midway: the next scan cleans staging and the old version is intact', async () => {
    const home = await installedHome();
    const before = snapshot(join(toolsRoot(home), ID));
    const reinstall = packageDirectory(temporaryDirectory(), ID, '1.0.0', { key });
    // A separate process reinstalls 1.0.0 and is SIGKILLed at the worst moment: the old directory moved away, the new one not yet in place.
    const script = `
      const fs = (await import('node:module')).createRequire(import.meta.url)('node:fs');
      const rename = fs.renameSync;
      fs.renameSync = (from, to) => {
        rename(from, to);
        if (from.endsWith('/1.0.0') && to.includes('${STAGING_DIRECTORY}')) process.kill(process.pid, 'SIGKILL');
      };
      (await import('node:module')).syncBuiltinESMExports();
      const { installFromPath, parseMinisignPublicKey } = await import('@osr-host/lifecycle');
      const [source, home, publicKey] = process.argv.slice(1);
      await installFromPath(source, { home, trustedKeys: [parseMinisignPublicKey(publicKey)], consent: true });
      console.log('finished');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, reinstall, home, key.publicKeyText], { cwd: packageRoot });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const signal = await new Promise((done) => child.on('exit', (_code, sig) => done(sig)));
    expect(signal, output).toBe('SIGKILL');
    expect(existsSync(join(toolsRoot(home), ID, '1.0.0'))).toBe(false);

    const scan = scanPlugins(home, { hostBuild: 'b', trustedKeys });
    expect(scan.failures).toEqual([]);
    expect(snapshot(join(toolsRoot(home), ID))).toEqual(before);
    expect(readdirSync(join(toolsRoot(home), STAGING_DIRECTORY))).toEqual([]);
  });
});

describe('removePlugin and listPlugins', () => {
  it('lists versions and consent, and removes by id', async () => {
    const home = await installedHome();
    await installFromPath(packageDirectory(temporaryDirectory(), ID, '1.1.0', { key }), { home, trustedKeys, onConsent: () => false });
    expect(listPlugins(home)).toEqual([{ pluginId: ID, version: '1.1.0', versions: ['1.0.0', '1.1.0'], consented: false }]);
    expect(removePlugin(home, ID)).toBe(join(toolsRoot(home), ID));
    expect(listPlugins(home)).toEqual([]);
    expect(() => removePlugin(home, ID)).toThrow(/No installed plugin matches/);
  });
});

describe('registry installs', () => {
  function registry(options: { sha256?: string; signature?: string | null; url?: (zip: string) => string } = {}) {
    const root = temporaryDirectory();
    const zip = join(root, 'artifacts', `${ID}-1.0.0.zip`);
    mkdirSync(join(root, 'artifacts'));
    writeFileSync(zip, buildZip(signedEntries()));
    const bytes = readFileSync(zip);
    const spec = {
      plugin_id: ID,
      public_keys: { minisign: key.publicKeyText.split('\n')[1] },
      versions: [
        { version: '0.9.0', artifacts: [{ os: 'none', arch: 'none', url: 'x', sha256: 'x' }] },
        {
          version: '1.0.0',
          artifacts: [
            {
              ...hostPlatform(),
              url: options.url ? options.url(zip) : pathToFileURL(zip).href,
              sha256: options.sha256 ?? sha256Hex(bytes),
              ...(options.signature === null ? {} : { minisign: { signature: options.signature ?? minisignSign(bytes, key) } }),
              size: bytes.length,
            },
          ],
        },
      ],
    };
    mkdirSync(join(root, 'plugins', 'dev'), { recursive: true });
    writeFileSync(join(root, 'plugins', 'dev', `${ID}.json`), JSON.stringify(spec));
    return { root, spec, zip };
  }

  it('installs from a file:// registry, verifying sha256 and signature, and trusts the publisher key', async () => {
    const home = temporaryDirectory();
    const { root } = registry();
    const steps: string[] = [];
    const result = await installFromRegistry(ID, { home, registry: pathToFileURL(root).href, trustedKeys: [], onProgress: (e) => steps.push(e.step) });
    expect(steps.slice(0, 4)).toEqual(['resolve', 'fetch', 'checksum', 'signature']);
    expect(result).toMatchObject({ version: '1.0.0', consent: 'granted' });
    expect(readTrustedKeys(home).map((k) => k.id)).toEqual([key.publicKey.id]);
    expect(scanPlugins(home, { hostBuild: 'b', trustedKeys: readTrustedKeys(home) }).failures).toEqual([]);
  });

  it('fetches artifacts over HTTP from a loopback server', async () => {
    const server = createServer((request, response) => response.end(readFileSync(join(served, request.url!))));
    let served = '';
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as { port: number };
      const { root } = registry({ url: (zip) => `http://127.0.0.1:${port}/${zip.split('/').slice(-2).join('/')}` });
      served = root;
      const result = await installFromRegistry(ID, { home: temporaryDirectory(), registry: root, trustedKeys: [] });
      expect(result.version).toBe('1.0.0');
    } finally {
      server.close();
    }
  });

  it.each([
    ['a wrong sha256', { sha256: '0'.repeat(64) }, 'Checksum mismatch'],
    ['no signature', { signature: null }, 'Plugin requires a minisign signature for installation'],
    ['a signature by another key', { signature: minisignSign(Buffer.from('other'), publisherKey()) }, 'Signature verification failed'],
  ])('refuses an artifact with %s', async (_, options, message) => {
    const home = await installedHome();
    const { root } = registry(options as never);
    await expectRefused(home, installFromRegistry(ID, { home, registry: root, trustedKeys, version: '1.0.0' }), new RegExp(`^${message}$`));
  });

  it('reports an unknown id and upgrades only to a newer version', async () => {
    const { root } = registry();
    const home = temporaryDirectory();
    await expect(installFromRegistry('dev.nope', { home, registry: root })).rejects.toThrow('Spec not found: dev.nope');
    await installFromPath(packageDirectory(temporaryDirectory(), ID, '0.5.0', { key }), { home, trustedKeys });
    expect((await upgradePlugin(ID, { home, registry: root, trustedKeys }))?.version).toBe('1.0.0');
    expect(await upgradePlugin(ID, { home, registry: root, trustedKeys })).toBeNull();
  });
});
