import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMinisignKeyPair, hostPlatform, type MinisignKeyPair, minisignSign } from '@osr-host/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '../../packages/lifecycle/src/zip-writer.ts';
import { repositoryRoot } from '../scripts/page.ts';
import { mcpOverStdio, osrHost, startCli } from './support/operator-cli.ts';

/**
 * The operator guide, run for real: a publisher builds, signs and packs the example plugin, and the
 * operator trusts, installs, configures, serves, connects over MCP and reads Insights, with the
 * commands and the answers the pages show.
 */

const PLUGIN = 'dev.osr.hello';
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const scratch = mkdtempSync(join(tmpdir(), 'osr-operator-guide-'));
const home = join(scratch, 'home');
const versionDir = join(home, 'Tools', PLUGIN, '1.0.0');
const settingKey = `api_token_${process.pid}`;
let library: string;
let publisher: MinisignKeyPair;

const LOADED = { plugin_id: PLUGIN, version: '1.0.0', abi: 6, status: 'loaded', message: null };
const failed = (message: string) => ({ plugin_id: PLUGIN, version: null, abi: null, status: 'failed', message });
/** `osr-host tools list --json` of the guide's home. */
async function toolsList(): Promise<unknown[]> {
  const listed = await osrHost(['tools', 'list', '--json', '--home', home]);
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as unknown[];
}
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the publisher ships: `<id>-<version>.zip` holding the library and its minisign signature. */
function packPlugin(version: string): Buffer {
  const bytes = readFileSync(library);
  return buildZip([
    { name: `${PLUGIN}-${version}/libhello.so`, data: bytes, mode: 0o100755 },
    { name: `${PLUGIN}-${version}/libhello.so.minisig`, data: minisignSign(bytes, publisher) },
  ]);
}

beforeAll(() => {
  // The example plugin, built from a copy of its sources so the repository's build/ stays untouched.
  const example = join(scratch, 'hello-plugin');
  mkdirSync(example);
  for (const file of ['hello.c', 'Makefile']) copyFileSync(join(repositoryRoot, 'examples/hello-plugin', file), join(example, file));
  const make = spawnSync('make', ['-s', '-C', example, `HEADER_DIR=${join(repositoryRoot, 'packages/abi-struct/include')}`], { encoding: 'utf8' });
  expect(make.status, make.stderr).toBe(0);
  library = join(example, 'build', 'libhello.so');
  publisher = generateMinisignKeyPair();
  writeFileSync(join(scratch, 'acme.pub'), publisher.publicKeyText);
  writeFileSync(join(scratch, `${PLUGIN}-1.0.0.zip`), packPlugin('1.0.0'));
});

afterAll(async () => {
  // With a Secret Service the settings live in the user's keychain, not under the scratch home.
  await osrHost(['config', 'delete', PLUGIN, settingKey, '--home', home]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('verify and consent', () => {
  it('refuses a plugin signed by a publisher nobody trusted', async () => {
    const refused = await osrHost(['tools', 'install', join(scratch, `${PLUGIN}-1.0.0.zip`), '--home', home]);
    expect(refused.code).toBe(1);
    expect(refused.logs.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/^Plugin code signature is invalid or missing/) });
    expect(refused.log).toContain(
      `Plugin code signature is invalid or missing - plugins must be signed with a trusted minisign key (Signature verification failed: signed by key ${publisher.publicKey.id}, which is not a trusted publisher key;`,
    );
    expect(existsSync(join(home, 'Tools', PLUGIN))).toBe(false);
  });

  it('trusts the publisher key, then installs: receipt, consent, current', async () => {
    expect(await osrHost(['tools', 'trust', join(scratch, 'acme.pub'), '--home', home])).toMatchObject({ code: 0, stdout: 'Publisher key trusted.\n' });
    expect(existsSync(join(home, 'config', 'trusted-keys', `${publisher.publicKey.id}.pub`))).toBe(true);

    const zip = join(scratch, `${PLUGIN}-1.0.0.zip`);
    const installed = await osrHost(['tools', 'install', zip, '--home', home, '--consent']);
    expect(installed).toMatchObject({ code: 0, stdout: `Installed ${PLUGIN} 1.0.0 in ${versionDir}\n` });
    expect(installed.logs.map(({ level, msg }) => `${level}: ${msg}`)).toEqual([
      `info: Resolving ${zip}`,
      `info: Unpacking ${PLUGIN}-1.0.0.zip`,
      `info: Checking ${PLUGIN}@1.0.0`,
      'info: Verifying libhello.so (sha256, signature)',
      'info: Consent granted',
      `info: Installing into ${versionDir}`,
    ]);
    const receipt = JSON.parse(readFileSync(join(versionDir, 'receipt.json'), 'utf8'));
    expect(receipt).toMatchObject({ plugin_id: PLUGIN, version: '1.0.0', dylib_filename: 'libhello.so', dylib_sha256: sha256(readFileSync(library)) });
    expect(JSON.parse(readFileSync(join(versionDir, '.user_consent'), 'utf8'))).toMatchObject({ requirements: [] });
    expect(readlinkSync(join(home, 'Tools', PLUGIN, 'current'))).toBe('1.0.0');
    const table = await osrHost(['tools', 'list', '--home', home]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^PLUGIN +VERSION +ABI +STATUS$/), expect.stringMatching(/^dev\.osr\.hello +1\.0\.0 +6 +loaded$/)]);
    expect(await toolsList()).toEqual([LOADED]);
  });

  it('loads nothing without consent; an empty .user_consent approves', async () => {
    rmSync(join(versionDir, '.user_consent'));
    expect(await toolsList()).toEqual([failed('consent_required: Plugin has not been approved for loading')]);
    writeFileSync(join(versionDir, '.user_consent'), '');
    expect(await toolsList()).toEqual([LOADED]);
  });

  it('quarantines a plugin whose load crashed the host, until tools retry', async () => {
    // What a crash while loading leaves behind: the loading marker naming the plugin.
    writeFileSync(join(home, 'Tools', '.currently_loading'), PLUGIN);
    const quarantined = failed(`Plugin quarantined after a crash during load — run osr-host tools retry ${PLUGIN} to load it again, or osr-host tools remove ${PLUGIN} to uninstall it.`);
    expect(await toolsList()).toEqual([quarantined]);
    expect(JSON.parse(readFileSync(join(home, 'Tools', '.quarantine'), 'utf8'))).toEqual([{ id: PLUGIN, version: '1.0.0', build: expect.any(String) }]);
    expect(await osrHost(['tools', 'retry', PLUGIN, '--home', home])).toMatchObject({ code: 0, stdout: `${PLUGIN} will be loaded again.\n` });
    expect(await toolsList()).toEqual([LOADED]);
    writeFileSync(join(home, 'Tools', '.currently_loading'), PLUGIN);
    expect(await osrHost(['tools', 'reset', '--home', home])).toMatchObject({ code: 0, stdout: 'Cleared the loading marker and the quarantine list.\n' });
    expect(existsSync(join(home, 'Tools', '.currently_loading'))).toBe(false);
  });

  it('installs and upgrades from a registry, trusting its key on first use, and removes', async () => {
    const registryHome = join(scratch, 'registry-home');
    const registry = join(scratch, 'registry');
    mkdirSync(join(registry, 'plugins'), { recursive: true });
    mkdirSync(join(registry, 'artifacts'));
    const versions: object[] = [];
    const publish = (version: string) => {
      const zip = packPlugin(version);
      writeFileSync(join(registry, 'artifacts', `${PLUGIN}-${version}.zip`), zip);
      versions.push({
        version,
        artifacts: [
          {
            ...hostPlatform(),
            url: `../artifacts/${PLUGIN}-${version}.zip`,
            sha256: sha256(zip),
            minisign: { signature: minisignSign(zip, publisher) },
          },
        ],
      });
      const publicKeyLine = publisher.publicKeyText.split('\n')[1];
      writeFileSync(join(registry, 'plugins', `${PLUGIN}.json`), JSON.stringify({ plugin_id: PLUGIN, public_keys: { minisign: publicKeyLine }, versions }));
    };

    publish('1.0.0');
    const [withoutRegistry, installed] = await Promise.all([
      osrHost(['tools', 'install', PLUGIN, '--home', registryHome]),
      osrHost(['tools', 'install', PLUGIN, '--registry', registry, '--home', registryHome]),
    ]);
    expect(withoutRegistry).toMatchObject({ code: 1, logs: [expect.objectContaining({ level: 'error', msg: `Spec not found: ${PLUGIN} (registry unavailable)` })] });
    expect(installed.stdout, installed.stderr).toBe(`Installed ${PLUGIN} 1.0.0 in ${join(registryHome, 'Tools', PLUGIN, '1.0.0')}\n`);
    expect(existsSync(join(registryHome, 'config', 'trusted-keys', `${publisher.publicKey.id}.pub`))).toBe(true);

    publish('1.1.0');
    const upgrade = ['tools', 'upgrade', PLUGIN, '--registry', registry, '--home', registryHome];
    expect((await osrHost(upgrade)).stdout).toBe(`Upgraded ${PLUGIN} to 1.1.0\n`);
    expect((await osrHost(upgrade)).stdout).toBe(`${PLUGIN} is up to date.\n`);
    expect(readlinkSync(join(registryHome, 'Tools', PLUGIN, 'current'))).toBe('1.1.0');
    expect(existsSync(join(registryHome, 'Tools', PLUGIN, '1.0.0'))).toBe(true);

    expect((await osrHost(['tools', 'remove', PLUGIN, '--home', registryHome])).stdout).toBe(`Uninstalled ${join(registryHome, 'Tools', PLUGIN)}\n`);
    expect((await osrHost(['tools', 'list', '--home', registryHome])).stdout).toBe('No plugins installed; see `osr-host tools install --help`.\n');
  });
});

describe('keys and config', () => {
  it('sets, reads and deletes settings, plugin-wide and per agent, in the keychain or the encrypted file', async () => {
    const set = await osrHost(['config', 'set', PLUGIN, settingKey, 's3cr3t', '--home', home]);
    expect(set.code, set.stderr).toBe(0);
    const inFile = set.logs.some((record) => record.level === 'warn' && record.msg.startsWith('Secrets are not in an OS keychain'));
    if (process.env.OSR_REQUIRE_SECRET_SERVICE === '1') expect(inFile, set.stderr).toBe(false);
    const secretsFile = join(home, 'config', 'secrets.enc');
    const get = (...extra: string[]) => osrHost(['config', 'get', PLUGIN, settingKey, ...extra, '--home', home]);
    // Reads may run side by side; writes may not (two processes writing the encrypted file can lose one).
    const [pluginWide, withWrongKey, added] = await Promise.all([
      get(),
      osrHost(['config', 'get', PLUGIN, settingKey, '--home', home], { env: { OSR_HOST_SECRET_KEY: 'not the key' } }),
      osrHost(['agents', 'add', 'research', '--home', home]),
    ]);
    expect(pluginWide).toMatchObject({ code: 0, stdout: 's3cr3t\n' });
    if (inFile) {
      expect(set.log).toContain(`they are kept in the AES-256-GCM encrypted file ${secretsFile}, keyed from the key file ${secretsFile}.key.`);
      for (const file of [secretsFile, `${secretsFile}.key`]) expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(secretsFile, 'utf8')).not.toContain('s3cr3t');
      expect(withWrongKey.code).toBe(1);
      expect(withWrongKey.log).toContain(`The secrets file ${secretsFile} is unusable: it does not decrypt with the key from OSR_HOST_SECRET_KEY;`);
    } else {
      expect(existsSync(secretsFile)).toBe(false);
    }

    const agent = added.stdout.trim();
    expect(agent).toMatch(UUID);
    const [agents, agentValue] = await Promise.all([osrHost(['agents', 'list', '--home', home]), get('--agent', agent)]);
    expect(agents.stdout).toMatch(new RegExp(`^${agent} +research`, 'm'));
    expect(agentValue).toMatchObject({ code: 1, log: expect.stringContaining(`No value for ${settingKey} of ${PLUGIN}.`) });
    expect((await osrHost(['config', 'set', PLUGIN, settingKey, 'other-token', '--agent', agent, '--home', home])).code).toBe(0);
    expect((await get('--agent', agent)).stdout).toBe('other-token\n');
    expect((await osrHost(['config', 'delete', PLUGIN, settingKey, '--agent', agent, '--home', home])).code).toBe(0);
    expect((await osrHost(['config', 'delete', PLUGIN, settingKey, '--home', home])).code).toBe(0);
    expect((await get()).code).toBe(1);
  });
});

describe('serve, MCP and Insights', () => {
  it('serves /health, /mcp with the loopback token or an access key (minted and revoked while serving), and the one-time Insights link', async () => {
    const minted = await osrHost(['keys', 'mint', 'ci-runner', '--home', home]);
    const accessKey = minted.stdout.trim();
    expect(accessKey).toMatch(/^osk-v1-/);
    expect(minted.logs).toEqual([expect.objectContaining({ level: 'info', msg: expect.stringMatching(/^access key [0-9A-F-]{36} minted; it is shown only once\.$/) })]);
    expect(JSON.parse((await osrHost(['keys', 'list', '--json', '--home', home])).stdout)).toEqual([expect.objectContaining({ label: 'ci-runner' })]);

    const serve = startCli(['serve', '--home', home, '--port', '0']);
    try {
      const [, origin] = await serve.waitForLog(/serving on (http:\/\/127\.0\.0\.1:\d+) \(Ctrl-C to stop\)/);
      expect(serve.logs()).toContainEqual(expect.objectContaining({ level: 'info', msg: `loaded ${PLUGIN} 1.0.0 (plugin ABI 6, 4 tools)` }));
      const health = await fetch(`${origin}/health`).then((response) => response.json());
      expect(health).toEqual({ status: 'ok', plugins: [{ plugin_id: PLUGIN, version: '1.0.0', abi: 6 }], failures: [] });

      const initialize = (headers: Record<string, string>) =>
        fetch(`${origin}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } }),
        });
      const loopbackToken = readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim();
      expect(serve.logs()).toContainEqual(
        expect.objectContaining({
          level: 'info',
          msg: `mcp: ${origin}/mcp (Bearer: an access key from \`osr-host keys mint\`, or the loopback token in ${join(home, 'run', 'mcp-token')})`,
        }),
      );
      const session = await initialize({ authorization: `Bearer ${loopbackToken}` });
      expect(session.status).toBe(200);
      expect(session.headers.get('mcp-session-id')).toBeTruthy();
      expect((await initialize({ authorization: `Bearer ${accessKey}` })).status).toBe(200);
      const refused = await initialize({});
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="osr-host"');
      expect((await initialize({ authorization: `Bearer ${accessKey}`, 'x-osaurus-agent-id': '00000000-0000-0000-0000-000000000001' })).status).toBe(400);
      const mintedLater = (await osrHost(['keys', 'mint', 'while-serving', '--home', home])).stdout.trim();
      expect((await initialize({ authorization: `Bearer ${mintedLater}` })).status).toBe(200);
      const listed = JSON.parse((await osrHost(['keys', 'list', '--json', '--home', home])).stdout) as Array<{ id: string; label: string }>;
      const laterId = listed.find((info) => info.label === 'while-serving')!.id;
      await osrHost(['keys', 'revoke', laterId, '--home', home]);
      expect((await initialize({ authorization: `Bearer ${mintedLater}` })).status).toBe(401);

      const [loginUrl] = await serve.waitForLog(/http:\/\/127\.0\.0\.1:\d+\/insights\?token=\S+/);
      const denied = await fetch(`${origin}/insights`);
      expect(denied.status).toBe(401);
      expect(await denied.json()).toMatchObject({ message: expect.stringContaining('osr-host insights link') });
      const login = await fetch(loginUrl, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const stats = await fetch(`${origin}/insights/api/stats`, { headers: { cookie } });
      expect(stats.status).toBe(200);
      expect((await fetch(loginUrl, { redirect: 'manual' })).status).toBe(401);
      const fresh = await osrHost(['insights', 'link', '--home', home]);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toMatch(new RegExp(`^${origin}/insights\\?token=\\S+\n$`));
      expect((await fetch(fresh.stdout.trim(), { redirect: 'manual' })).status).toBe(303);

      expect(await osrHost(['tools', 'reload', '--home', home])).toMatchObject({ code: 0, stdout: `{"reloaded":["${PLUGIN}"],"failures":[]}\n` });
    } finally {
      expect(await serve.stop('SIGTERM')).toBe(0);
    }
    expect(serve.logs()).toContainEqual(expect.objectContaining({ level: 'info', msg: 'SIGTERM: unloading plugins' }));
  });

  it('lists and calls the tools over stdio MCP', async () => {
    const mcp = startCli(['mcp', '--home', home]);
    const client = mcpOverStdio(mcp);
    const initialized = await client.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } });
    expect(initialized).toMatchObject({ result: { serverInfo: { name: 'osr-host' } } });
    client.notify('notifications/initialized');
    const listed = (await client.request('tools/list')) as { result: { tools: Array<{ name: string; _meta: Record<string, string> }> } };
    expect(listed.result.tools.map((tool) => tool.name)).toEqual(['greet', 'count', 'whoami', 'remind'].map((tool) => `${PLUGIN}__${tool}`));
    expect(listed.result.tools[0]!._meta).toEqual({ 'osr-host/plugin_id': PLUGIN, 'osr-host/tool_id': 'greet' });
    const called = await client.request('tools/call', { name: `${PLUGIN}__greet`, arguments: { name: 'Ada' } });
    expect(called).toMatchObject({ result: { content: [{ type: 'text', text: '{"ok":true,"result":{"greeting":"Hello, Ada!"}}' }] } });
    mcp.child.stdin!.end();
    expect(await mcp.exited).toBe(0);
    expect(mcp.logs()).toContainEqual(expect.objectContaining({ level: 'info', plugin: PLUGIN, msg: 'greeting Ada' }));
  });

  it('runs a plugin isolated with the same answer', async () => {
    const isolated = await osrHost(['invoke', join(versionDir, 'libhello.so'), 'greet', '{"name":"Ada"}', '--isolate', '--home', home]);
    expect(isolated).toMatchObject({ code: 0, stdout: '{"ok":true,"result":{"greeting":"Hello, Ada!"}}\n' });
  });

  it('reads what the plugin did with osr-host insights', async () => {
    const [logged, page, stats, badFilter] = await Promise.all([
      osrHost(['insights', 'query', '--plugin', PLUGIN, '--level', 'INFO', '--home', home]),
      osrHost(['insights', 'query', '--plugin', PLUGIN, '--json', '--limit', '1', '--home', home]),
      osrHost(['insights', 'stats', '--home', home]),
      osrHost(['insights', 'query', '--since', 'yesterday', '--home', home]),
    ]);
    const plugin = PLUGIN.replaceAll('.', '\\.');
    expect(logged.code).toBe(0);
    expect(logged.stdout).toMatch(new RegExp(`^\\S+Z ${plugin} LOG +200 +\\d+\\.\\dms \\[INFO\\] greeting Ada$`, 'm'));
    expect(JSON.parse(page.stdout)).toMatchObject({ rows: [expect.objectContaining({ pluginId: PLUGIN })] });
    expect(stats.stdout).toMatch(new RegExp(`^${plugin}: \\d+ calls, \\d+\\.\\d% errors, p50 [\\d.]+ms, p95 [\\d.]+ms, p99 [\\d.]+ms, \\d+ logs$`, 'm'));
    expect(badFilter).toMatchObject({
      code: 2,
      stderr: 'Time "yesterday" is not understood: use ISO-8601 (2026-01-31T12:00:00Z), ms since the epoch, or a duration such as 15m, 2h or 7d.\n',
    });
  });
});
