import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MinisignKeyPair, minisignSign, sha256File } from '@osr-host/lifecycle';

/** Writes a zip (stored unless `deflate`) with entry names taken as given, hostile ones included. */
export function writeZip(path: string, entries: Record<string, Buffer>, deflate = false): void {
  const script = `import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],"w",zipfile.${deflate ? 'ZIP_DEFLATED' : 'ZIP_STORED'})\nfor name,hexdata in json.load(sys.stdin).items(): z.writestr(name, bytes.fromhex(hexdata))\nz.close()`;
  const input = JSON.stringify(Object.fromEntries(Object.entries(entries).map(([name, data]) => [name, data.toString('hex')])));
  const written = spawnSync('python3', ['-c', script, path], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (written.status !== 0) throw new Error(`writing ${path} failed: ${written.stderr}`);
}

export const freshHome = () => mkdtempSync(join(tmpdir(), 'osr-lifecycle-'));

/** A package directory `<id>-<version>/` holding one library, as `tools install` takes it. */
export function packageDirectory(pluginId: string, version: string, library: string): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'osr-package-')), `${pluginId}-${version}`);
  mkdirSync(directory);
  copyFileSync(library, join(directory, 'libplugin.so'));
  return directory;
}

/** This host's registry platform names. */
const registryPlatform = { os: process.platform === 'darwin' ? 'macos' : 'linux', arch: process.arch === 'x64' ? 'x86_64' : 'arm64' };

export interface RegistryRelease {
  version: string;
  /** The library shipped in the release archive, signed by `keys`. */
  library: string;
  keys: MinisignKeyPair;
  /** Extra fields of the version entry (e.g. `requires`). */
  entry?: Record<string, unknown>;
  /** Extra fields of the artifact (e.g. `min_os`). */
  artifact?: Record<string, unknown>;
}

/**
 * Writes a file registry in `root` (`plugins/<id>.json` plus signed archives
 * under `artifacts/`); the spec names the key of the last release.
 */
export function writeRegistry(root: string, pluginId: string, releases: RegistryRelease[]): void {
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  mkdirSync(join(root, 'plugins'), { recursive: true });
  const versions = releases.map((release) => {
    const zip = join(root, 'artifacts', `${pluginId}-${release.version}.zip`);
    const library = readFileSync(release.library);
    writeZip(zip, { 'libplugin.so': library, 'libplugin.so.minisig': Buffer.from(minisignSign(library, release.keys)) });
    const artifact = {
      ...registryPlatform,
      url: pathToFileURL(zip).href,
      sha256: sha256File(zip),
      minisign: { signature: minisignSign(readFileSync(zip), release.keys) },
      ...release.artifact,
    };
    return { version: release.version, artifacts: [artifact], ...release.entry };
  });
  const keys = releases.at(-1)!.keys;
  const spec = { plugin_id: pluginId, public_keys: { minisign: keys.publicKeyText.split('\n')[1] }, versions };
  writeFileSync(join(root, 'plugins', `${pluginId}.json`), JSON.stringify(spec));
}
