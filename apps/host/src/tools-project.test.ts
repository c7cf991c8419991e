import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { generateMinisignKeyPair } from '@osr-host/lifecycle';
import { describe, expect, it } from 'vitest';
import { runCli as run, runCliAsync } from './test-support/cli.js';
import { freshHome, writeRegistry } from './test-support/packages.js';

/** A scaffolded C project, built: `osaurus-plugin.json` says dev.example.greeter 0.1.0. */
function builtProject(): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'osr-project-')), 'greeter');
  expect(run(['tools', 'create', 'greeter', '--language', 'c', '--dir', directory]).code).toBe(0);
  const make = spawnSync('make', ['-s', '-C', directory], { encoding: 'utf8' });
  expect(make.status, make.stderr).toBe(0);
  return directory;
}

/** Entry names of a zip, read by Python's zipfile. */
function zipNames(path: string): string[] {
  const listed = spawnSync('python3', ['-c', 'import sys,zipfile;print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', path], { encoding: 'utf8' });
  return listed.stdout.trim().split('\n').sort();
}

describe('plugin projects', () => {
  it('tools install . takes id and version from osaurus-plugin.json and refuses a library whose manifest disagrees; tools package builds the zip', () => {
    const project = builtProject();
    const home = freshHome();
    const installed = run(['tools', 'install', '.', '--home', home, '--dev'], {}, project);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toBe(`Installed dev.example.greeter 0.1.0 in ${join(home, 'Tools', 'dev.example.greeter', '0.1.0')}\n`);
    expect(run(['invoke', join(home, 'Tools', 'dev.example.greeter', '0.1.0', 'libgreeter.so'), 'hello', '{"name":"Ada"}', '--home', home]).stdout).toContain('Ada');

    const out = mkdtempSync(join(tmpdir(), 'osr-packages-'));
    const packaged = run(['tools', 'package', project, '--dir', out]);
    expect(packaged).toMatchObject({ code: 0, stdout: `Packaged dev.example.greeter 0.1.0 as ${join(out, 'dev.example.greeter-0.1.0.zip')}\n` });
    const names = zipNames(join(out, 'dev.example.greeter-0.1.0.zip'));
    expect(names).toEqual(expect.arrayContaining(['libgreeter.so', 'osaurus-plugin.json', 'README.md']));
    expect(names.filter((name) => name.endsWith('.c') || name.startsWith('build/'))).toEqual([]);
    expect(run(['tools', 'install', join(out, 'dev.example.greeter-0.1.0.zip'), '--home', freshHome(), '--dev']).code).toBe(0);

    const manifestFile = join(project, 'osaurus-plugin.json');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"version": "0.1.0"', '"version": "0.2.0"'));
    const disagreeing = run(['tools', 'install', '.', '--home', freshHome(), '--dev'], {}, project);
    expect(disagreeing.code).toBe(1);
    expect(disagreeing.log).toContain(
      "The library's manifest (dev.example.greeter 0.1.0) does not agree with osaurus-plugin.json (dev.example.greeter 0.2.0); rebuild the library or fix osaurus-plugin.json.",
    );
  });
});

describe('tools install https://', () => {
  it('downloads the archive over TLS it verifies, and refuses plain http', async () => {
    const project = builtProject();
    const out = mkdtempSync(join(tmpdir(), 'osr-packages-'));
    expect(run(['tools', 'package', project, '--dir', out]).code).toBe(0);
    const archive = readFileSync(join(out, 'dev.example.greeter-0.1.0.zip'));

    const tls = mkdtempSync(join(tmpdir(), 'osr-tls-'));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem')],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const server = https.createServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, (request, response) => {
      if (request.url !== '/releases/dev.example.greeter-0.1.0.zip') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/zip', 'content-length': archive.length }).end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/releases/dev.example.greeter-0.1.0.zip`;
    try {
      const untrusted = await runCliAsync(['tools', 'install', url, '--home', freshHome(), '--dev']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.log).toContain(`Download failed: ${url}`);

      const home = freshHome();
      const trusted = await runCliAsync(['tools', 'install', url, '--home', home, '--dev'], { NODE_EXTRA_CA_CERTS: join(tls, 'cert.pem') });
      expect(trusted.code, trusted.stderr).toBe(0);
      expect(trusted.stdout).toContain('Installed dev.example.greeter 0.1.0');
    } finally {
      server.close();
    }
    const plain = run(['tools', 'install', 'http://127.0.0.1:9/dev.example.greeter-0.1.0.zip', '--home', freshHome(), '--dev']);
    expect(plain.code).toBe(1);
    expect(plain.log).toContain('is not https; plugins are downloaded over https only');
  });
});

describe('registry queries', () => {
  it('tools outdated lists what upgrade would take; tools search matches id, name and description', () => {
    const registry = mkdtempSync(join(tmpdir(), 'osr-registry-'));
    const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
    const keys = generateMinisignKeyPair();
    writeRegistry(registry, 'test.plugin', [
      { version: '1.0.0', library, keys },
      { version: '1.1.0', library, keys },
    ]);
    const home = freshHome();
    expect(run(['tools', 'install', 'test.plugin', '--registry', registry, '--home', home, '--version', '1.0.0']).code).toBe(0);
    const outdated = run(['tools', 'outdated', '--registry', registry, '--home', home]);
    expect(outdated.code).toBe(0);
    expect(outdated.stdout.split('\n')).toEqual([expect.stringMatching(/^PLUGIN +INSTALLED +AVAILABLE$/), expect.stringMatching(/^test\.plugin +1\.0\.0 +1\.1\.0$/), '']);
    expect(JSON.parse(run(['tools', 'outdated', '--registry', registry, '--home', home, '--json']).stdout)).toEqual([
      expect.objectContaining({ pluginId: 'test.plugin', installed: '1.0.0', available: '1.1.0' }),
    ]);
    expect(run(['tools', 'upgrade', 'test.plugin', '--registry', registry, '--home', home]).code).toBe(0);
    expect(run(['tools', 'outdated', '--registry', registry, '--home', home]).stdout).toBe('Every installed plugin is up to date.\n');

    const found = run(['tools', 'search', 'TEST', '--registry', registry]);
    expect(found.code).toBe(0);
    expect(found.stdout.split('\n').slice(1)).toEqual([expect.stringMatching(/^test\.plugin +1\.1\.0$/), '']);
    expect(JSON.parse(run(['tools', 'search', '--registry', registry, '--json']).stdout)).toEqual([expect.objectContaining({ pluginId: 'test.plugin', latest: '1.1.0' })]);
    expect(run(['tools', 'search', 'weather', '--registry', registry]).stdout).toBe('No plugin matches.\n');
    expect(run(['tools', 'search', 'x']).code).toBe(2);
  });
});
