/**
 * The static web branch's mount matching, segment-aware as the later
 * upstream host does it (`mountCaptures`): the same function decides load-time
 * shadowing and request dispatch, so the two can never disagree.
 */

/** Adds the leading `/` and trims trailing ones; `""` and `"/"` both become `/`. */
export function normalizeWebMount(mount: string): string {
  let normalized = mount.startsWith('/') ? mount : `/${mount}`;
  while (normalized.length > 1 && normalized.endsWith('/')) normalized = normalized.slice(0, -1);
  return normalized;
}

/**
 * Whether a request subpath (or a route path) falls inside the web mount:
 * the mount itself and anything below it by whole segments, so `/ui`
 * captures `/ui/app` but not `/ui-other`; a mount of `/` captures everything.
 */
export function webMountCaptures(mount: string, subpath: string): boolean {
  const normalizedMount = normalizeWebMount(mount);
  const path = subpath.startsWith('/') ? subpath : `/${subpath}`;
  return normalizedMount === '/' || path === normalizedMount || path.startsWith(`${normalizedMount}/`);
}

/** The load-time message for a route the web mount would shadow (upstream wording, names both). */
export function shadowedRouteMessage(pluginId: string, routePath: string, mount: string): string {
  return `Plugin ${pluginId} declares route '${routePath}' under web mount '${mount}'; the static web branch would shadow this route. Move the route outside the web mount or remove the web mount overlap.`;
}
