import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePlugin, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { loadManifest } from '@osr-host/manifest';
import { type HostCallContext, IsolatedPlugin, NativePlugin, type PluginInstance } from '@osr-host/runtime';
import { createPluginRouter, type MountedPlugin, type PluginRouterOptions } from '../router.js';
import { listenPluginServer, type PluginServer, type ServerLimits } from '../server.js';

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
export const scratch = mkdtempSync(join(tmpdir(), 'osr-routes-'));
export const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
export const OTHER_AGENT = '0B7D33B1-6E33-4E0B-8C57-5C1B7E9D2A10';

let installs = 0;

/** Compiles the route fixture, loads it like a host does and lays out its install directory with `web/`. */
export async function loadFixturePlugin(
  defines: Record<string, string | number | boolean> = {},
  options: { maxStringBytes?: number; isolated?: boolean } = {},
): Promise<MountedPlugin & { plugin: PluginInstance }> {
  const library = uniqueLibraryCopy(compilePlugin(join(fixturesDir, 'route_plugin.c'), { defines }), scratch);
  const pluginId = typeof defines.PLUGIN_ID === 'string' ? JSON.parse(defines.PLUGIN_ID) : 'routes.fixture';
  const loadOptions = {
    pluginId,
    hostApi: { get_active_agent_id: (context: HostCallContext) => context.agentId },
    ...(options.maxStringBytes ? { maxStringBytes: options.maxStringBytes } : {}),
  };
  const plugin = options.isolated ? await IsolatedPlugin.load(library, loadOptions) : await NativePlugin.load(library, loadOptions);
  const directory = join(scratch, `install-${++installs}`, pluginId, '1.0.0');
  mkdirSync(directory, { recursive: true });
  cpSync(join(fixturesDir, 'web'), join(directory, 'web'), { recursive: true });
  const { manifest } = loadManifest(plugin.manifestText, { expectedPluginId: pluginId });
  return { id: pluginId, plugin, instance: plugin, manifest, directory };
}

export interface RunningSurface {
  surface: PluginServer;
  get(path: string, init?: RequestInit & { agent?: string | null }): Promise<Response>;
}

/** A loopback server with the router over `plugins`. */
export async function serve(
  plugins: MountedPlugin[],
  options: Partial<PluginRouterOptions> = {},
  limits: ServerLimits = {},
): Promise<RunningSurface> {
  let url = '';
  const router = createPluginRouter({
    plugins: { get: (id) => plugins.find((plugin) => plugin.id === id) },
    baseUrl: () => url,
    ...options,
  });
  const surface = await listenPluginServer(router, { port: 0, ...limits });
  url = surface.url;
  return {
    surface,
    get(path, init = {}) {
      const { agent = AGENT, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (agent !== null && !headers.has('x-osaurus-agent-id')) headers.set('X-Osaurus-Agent-Id', agent);
      return fetch(surface.url + path, { ...rest, headers });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A request through node:http, for what fetch refuses to send (raw paths, odd headers, HEAD bodies). */
export function rawRequest(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> | [string, string][]; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headerList: [string, string][] = [['Host', target.host], ...(Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {}))];
    const request = http.request(
      { host: target.hostname, port: target.port, path, method: options.method ?? 'GET', headers: headerList.flat(), agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

export function errorMessage(body: Buffer | string): string {
  return (JSON.parse(body.toString()) as { error: { message: string } }).error.message;
}
