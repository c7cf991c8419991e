import { normalizeWebMount } from '@osr-host/manifest';
import type { LoadedPlugin, LoadFailure } from '../host.js';

export interface LandingPageContent {
  version: string;
  plugins: readonly LoadedPlugin[];
  failures: readonly LoadFailure[];
  /** The agent a web UI link opens under (`?osr_agent=`); routes need one. */
  agentId: string;
  mcpTokenFile: string;
}

const html = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
const path = (pluginId: string, subpath: string) => `/plugins/${encodeURIComponent(pluginId)}${subpath.startsWith('/') ? subpath : `/${subpath}`}`;

function pluginSection({ plugin, manifest }: LoadedPlugin, agentId: string): string {
  const capabilities = manifest.capabilities ?? {};
  const tools = (capabilities.tools ?? []).map((tool) => `<li><code>${html(tool.id)}</code> ${html(tool.description)}</li>`);
  const routes = (capabilities.routes ?? []).map(
    (route) => `<li><code>${html(route.methods.join(' '))} ${html(path(plugin.id, route.path))}</code> (auth ${html(route.auth)})</li>`,
  );
  const web = capabilities.web;
  const webLink = web ? `${path(plugin.id, normalizeWebMount(web.mount))}?osr_agent=${encodeURIComponent(agentId)}` : undefined;
  return [
    `<section><h2>${html(manifest.name ?? plugin.id)} <small><code>${html(plugin.id)}</code> ${html(manifest.version ?? '')}</small></h2>`,
    webLink ? `<p>Web UI: <a href="${html(webLink)}">${html(webLink)}</a></p>` : '',
    tools.length ? `<h3>Tools</h3><ul>${tools.join('')}</ul>` : '',
    routes.length ? `<h3>Routes</h3><ul>${routes.join('')}</ul><p>Routes run under an agent: add <code>?osr_agent=${html(agentId)}</code> or the <code>X-Osaurus-Agent-Id</code> header.</p>` : '',
    '</section>',
  ].join('');
}

/** `GET /` of `serve`: what is loaded and where each surface is, for an operator opening the host in a browser. */
export function landingPage(content: LandingPageContent): string {
  const failures = content.failures.map((failure) => `<li><code>${html(failure.pluginId)}</code>: ${html(failure.message)}</li>`);
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>osr-host</title>',
    '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code{font-size:90%}small{color:#666;font-weight:normal}</style></head><body>',
    `<h1>osr-host ${html(content.version)}</h1>`,
    `<p>${content.plugins.length === 1 ? '1 plugin' : `${content.plugins.length} plugins`} loaded. `,
    `<a href="/health">/health</a> · MCP at <code>/mcp</code> (Bearer: an access key from <code>osr-host keys mint</code>, or the token in <code>${html(content.mcpTokenFile)}</code>) · `,
    'Insights at <a href="/insights">/insights</a> (open it with the link <code>serve</code> printed, or <code>osr-host insights link</code>)</p>',
    ...content.plugins.map((loaded) => pluginSection(loaded, content.agentId)),
    failures.length ? `<h2>Not loaded</h2><ul>${failures.join('')}</ul>` : '',
    content.plugins.length === 0 && failures.length === 0 ? '<p>No plugins installed: see <code>osr-host tools install --help</code>.</p>' : '',
    '</body></html>',
  ].join('');
}
