import type { ManifestRoute } from '@osr-host/manifest';

export interface RouteMatch<Route> {
  route: Route;
  /** `:name` captures, percent-decoded. */
  params: Record<string, string>;
}

type MatchableRoute = Pick<ManifestRoute, 'path' | 'methods'>;

function withLeadingSlash(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** Percent-decodes a captured value; text that is not valid percent-encoding stays as sent. */
export function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function matchParams(routePath: string, subpath: string): Record<string, string> | null {
  const routeSegments = routePath.split('/');
  const pathSegments = subpath.split('/');
  if (routeSegments.length !== pathSegments.length) return null;
  const params: Record<string, string> = {};
  let used = false;
  for (const [index, segment] of routeSegments.entries()) {
    const value = pathSegments[index] as string;
    if (segment.startsWith(':')) {
      if (value === '') return null;
      params[segment.slice(1)] = decodeComponent(value);
      used = true;
    } else if (segment !== value) {
      return null;
    }
  }
  return used ? params : null;
}

/** Whether the route lists the method, compared case-insensitively (`upperMethod` is upper-case). */
function allowsMethod(route: MatchableRoute, upperMethod: string): boolean {
  for (const allowed of route.methods) if (allowed === upperMethod || allowed.toUpperCase() === upperMethod) return true;
  return false;
}

/**
 * Upstream `matchRouteWithParams`: among routes listing the method
 * (case-insensitively), an exact literal path wins, then the first `:param`
 * route, then the first trailing-`*` route. Paths compare case-sensitively and
 * without percent-decoding; `subpath` has no query string. One pass over the
 * routes, since every route request pays for it.
 */
export function matchRoute<Route extends MatchableRoute>(routes: readonly Route[], method: string, subpath: string): RouteMatch<Route> | null {
  const upperMethod = method.toUpperCase();
  let withParams: RouteMatch<Route> | null = null;
  let wildcard: RouteMatch<Route> | null = null;
  for (const route of routes) {
    if (!allowsMethod(route, upperMethod)) continue;
    const path = withLeadingSlash(route.path);
    if (path === subpath) return { route, params: {} };
    if (withParams === null && path.includes(':')) {
      const params = matchParams(path, subpath);
      if (params) withParams = { route, params };
    }
    if (wildcard === null && path.endsWith('/*')) {
      const prefix = path.slice(0, -2);
      if (subpath === prefix || subpath.startsWith(`${prefix}/`)) wildcard = { route, params: {} };
    }
  }
  return withParams ?? wildcard;
}
