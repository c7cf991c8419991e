import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

const mimeTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'application/javascript; charset=utf-8',
  mjs: 'application/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
  xml: 'application/xml',
  wasm: 'application/wasm',
};

/** Upstream's `MIMEType.forExtension`: case-insensitive, `application/octet-stream` for anything else. */
export function mimeTypeFor(path: string): string {
  return mimeTypes[extname(path).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

export function isHtmlPath(path: string): boolean {
  const extension = extname(path).slice(1).toLowerCase();
  return extension === 'html' || extension === 'htm';
}

export interface OsaurusContext {
  pluginId: string;
  /** `effectiveApiMount(web)`: `/api` unless the manifest sets `api_mount`. */
  apiMount: string;
  agentId: string;
}

/** A JS literal that cannot end the surrounding <script> element. */
function scriptLiteral(value: string): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The `window.__osaurus` script upstream injects into plugin HTML pages. */
export function osaurusContextScript(context: OsaurusContext): string {
  const baseUrl = `/plugins/${context.pluginId}`;
  return `<script>
window.__osaurus = {
  pluginId: ${scriptLiteral(context.pluginId)},
  baseUrl: ${scriptLiteral(baseUrl)},
  apiUrl: ${scriptLiteral(baseUrl + context.apiMount)},
  agentId: ${scriptLiteral(context.agentId)},
  fetch: function(input, init) {
    init = init || {};
    init.headers = new Headers(init.headers || {});
    if (window.__osaurus.agentId && !init.headers.has("X-Osaurus-Agent-Id")) {
      init.headers.set("X-Osaurus-Agent-Id", window.__osaurus.agentId);
    }
    return fetch(input, init);
  }
};
</script>
`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Inserts the context script before the first `</head>` (any case); pages that are not UTF-8 or have no `</head>` are returned unchanged. */
export function injectOsaurusContext(page: Uint8Array, context: OsaurusContext): Uint8Array {
  let text: string;
  try {
    text = utf8.decode(page);
  } catch {
    return page;
  }
  const headEnd = text.search(/<\/head>/i);
  if (headEnd === -1) return page;
  return Buffer.from(text.slice(0, headEnd) + osaurusContextScript(context) + text.slice(headEnd));
}

export type StaticResolution =
  | { kind: 'file'; path: string; size: number }
  | { kind: 'invalid_path' }
  | { kind: 'access_denied' }
  | { kind: 'not_found' };

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The percent-decoded relative path, or null when it could climb or smuggle: `..` segments, backslashes, NUL, bad escapes. */
function decodeRelativePath(rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((segment) => segment === '..')) return null;
  return decoded;
}

async function realFile(webDir: string, rel: string): Promise<StaticResolution | null> {
  let resolved: string;
  try {
    resolved = await realpath(join(webDir, rel));
  } catch {
    return null;
  }
  if (!isInside(webDir, resolved)) return { kind: 'access_denied' };
  const info = await stat(resolved).catch(() => null);
  return info?.isFile() ? { kind: 'file', path: resolved, size: info.size } : null;
}

/**
 * Maps `rel` (the subpath below the mount) to a file under the web directory:
 * `""` or `"/"` is the entry; anything missing (or a directory) falls back to
 * the entry, as a single-page app expects. Both the web directory and the
 * file are resolved through symlinks, and a file outside the web directory
 * (or a web directory outside the plugin's own directory) is refused.
 */
export async function resolveStaticFile(pluginDir: string, staticDir: string, entry: string, rel: string): Promise<StaticResolution> {
  const requested = rel === '' || rel === '/' ? entry : decodeRelativePath(rel.replace(/^\//, ''));
  if (requested === null) return { kind: 'invalid_path' };
  let webDir: string;
  try {
    const root = await realpath(pluginDir);
    webDir = await realpath(join(root, staticDir));
    if (!isInside(root, webDir)) return { kind: 'access_denied' };
  } catch {
    return { kind: 'not_found' };
  }
  const file = await realFile(webDir, requested);
  if (file) return file;
  return (await realFile(webDir, entry)) ?? { kind: 'not_found' };
}
