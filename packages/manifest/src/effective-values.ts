import type { ManifestTool, ManifestWeb } from './schema.js';

/** What the host does before running a tool: run it, ask the user first, or refuse. */
export type PermissionPolicy = 'auto' | 'ask' | 'deny';

/** Whether the host recognises `policy` (case-insensitively) rather than falling back to "ask". */
export function isRecognizedPermissionPolicy(policy: string): boolean {
  return ['auto', 'ask', 'deny'].includes(policy.toLowerCase());
}

/** The policy the host applies: case-insensitive `auto` / `deny`; anything else, absent included, is `ask`. */
export function effectivePermissionPolicy(tool: Pick<ManifestTool, 'permission_policy'>): PermissionPolicy {
  const policy = tool.permission_policy?.toLowerCase();
  return policy === 'auto' || policy === 'deny' ? policy : 'ask';
}

/** `window.__osaurus.apiUrl`'s suffix: `api_mount` trimmed, blank or absent → `/api`, leading `/` added. */
export function effectiveApiMount(web: Pick<ManifestWeb, 'api_mount'>): string {
  const apiMount = web.api_mount?.trim() ?? '';
  if (apiMount === '') return '/api';
  return apiMount.startsWith('/') ? apiMount : `/${apiMount}`;
}
