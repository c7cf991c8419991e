import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdminHandlers,
  adminChannelFiles,
  askRunningServe,
  forwardTasksCommand,
  handleAdminRequest,
  LifecycleError,
  publishAdminEndpoint,
  runningServe,
} from './index.js';
import { temporaryDirectory } from './test-support/plugins.js';

const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A real loopback host answering the admin channel with `handlers`, published on a fresh home. */
async function adminHost(handlers: Partial<AdminHandlers> = {}) {
  const home = temporaryDirectory('osr-admin-');
  const calls: string[] = [];
  const all: AdminHandlers = {
    reload: async () => {
      calls.push('reload');
      return { reloaded: ['dev.edge'], failures: [] };
    },
    insightsLink: () => ({ url: 'http://127.0.0.1/insights/login#one-time' }),
    runTasks: async (argv, io) => {
      calls.push(`tasks ${argv.join(' ')}`);
      io.out('ID STATUS');
      io.err('one warning');
      return 3;
    },
    ...handlers,
  };
  let token: string | undefined;
  const server = http.createServer((request, response) => {
    if (handleAdminRequest(request, response, token, all)) return;
    response.statusCode = 404;
    response.end('not admin');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoint = publishAdminEndpoint(home, origin);
  token = endpoint.token;
  return { home, origin, endpoint, calls };
}

describe('the admin channel', () => {
  it('publishes the origin and a 0600 token for the CLI, and withdraws them', async () => {
    const { home, origin, endpoint } = await adminHost();
    const files = adminChannelFiles(home);
    expect(statSync(files.token).mode & 0o777).toBe(0o600);
    expect(runningServe(home)).toEqual({ origin, token: endpoint.token });
    endpoint.withdraw();
    expect(existsSync(files.state)).toBe(false);
    expect(runningServe(home)).toBeUndefined();
  });

  it('finds no host when none was published or its process is gone, and names a corrupt state file', () => {
    const home = temporaryDirectory('osr-admin-');
    expect(runningServe(home)).toBeUndefined();
    const files = adminChannelFiles(home);
    mkdirSync(`${home}/run`);
    writeFileSync(files.token, 'secret\n');
    writeFileSync(files.state, JSON.stringify({ origin: 'http://127.0.0.1:1', pid: 2 ** 22 + 1 }));
    expect(runningServe(home)).toBeUndefined();
    writeFileSync(files.state, '{"origin":');
    expect(() => runningServe(home)).toThrow(LifecycleError);
    expect(() => runningServe(home)).toThrow(/serve\.json is not valid JSON; delete it/);
  });

  it('reloads and mints an Insights link for the token holder', async () => {
    const { home, calls } = await adminHost();
    expect(await askRunningServe(home, 'reload')).toEqual({ ok: true, status: 200, body: '{"reloaded":["dev.edge"],"failures":[]}' });
    expect(JSON.parse((await askRunningServe(home, 'insights-link'))!.body)).toEqual({ url: 'http://127.0.0.1/insights/login#one-time' });
    expect(calls).toEqual(['reload']);
  });

  it('refuses a missing or wrong token with 401 and does nothing; leaves other requests to the host', async () => {
    const { origin, endpoint, calls } = await adminHost();
    for (const authorization of [undefined, 'Bearer wrong', `bearer ${endpoint.token}`, `Bearer ${endpoint.token}x`]) {
      const response = await fetch(`${origin}/admin/reload`, { method: 'POST', headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect((await fetch(`${origin}/admin/reload`)).status).toBe(404);
    expect((await fetch(`${origin}/admin/other`, { method: 'POST', headers: { authorization: `Bearer ${endpoint.token}` } })).status).toBe(404);
    expect(calls).toEqual([]);
  });

  it('runs a forwarded tasks command in the host and streams its lines and exit code back', async () => {
    const { home, calls } = await adminHost();
    const out: string[] = [];
    const err: string[] = [];
    const code = await forwardTasksCommand(runningServe(home)!, ['list', '--json'], { out: (line) => out.push(line), err: (line) => err.push(line) });
    expect({ code, out, err, calls }).toEqual({ code: 3, out: ['ID STATUS'], err: ['one warning'], calls: ['tasks list --json'] });
  });

  it('answers a malformed or oversized tasks body with 400 or 413 and runs nothing', async () => {
    const { origin, endpoint, calls } = await adminHost();
    const headers = { authorization: `Bearer ${endpoint.token}` };
    for (const body of ['not json', '{"argv":"list"}', '{"argv":[1]}']) {
      const response = await fetch(`${origin}/admin/tasks`, { method: 'POST', headers, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
    const large = await fetch(`${origin}/admin/tasks`, { method: 'POST', headers, body: `{"argv":["list","${'x'.repeat(64 * 1024)}"]}` });
    expect(large.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('reports a refused tasks command on err with exit 1', async () => {
    const { home } = await adminHost();
    const running = runningServe(home)!;
    const err: string[] = [];
    const code = await forwardTasksCommand({ ...running, token: 'wrong' }, ['list'], { out: () => {}, err: (line) => err.push(line) });
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(/^The running host refused the tasks command \(401\)/)]);
    expect(readFileSync(adminChannelFiles(home).token, 'utf8').trim()).toBe(running.token);
  });
});
