export { RoutesError, type RoutesErrorCode } from './errors.js';
export {
  createPluginRouter,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_ROUTE_TIMEOUT_MS,
  type MountedPlugin,
  type PluginRouter,
  type PluginRouterOptions,
  parsePluginUrl,
  type RouteCallOutcome,
  type RouteServedEvent,
  type RouteTarget,
} from './router.js';
export { DEFAULT_PORT, listenPluginServer, type PluginServer, pluginServerOptions, type ServerLimits } from './server.js';
export { matchRoute, type RouteMatch } from './match.js';
export { agentFromQuery, parseQuery } from './query.js';
export { encodeRequestBody, parseRouteResponse, type RouteRequest, type RouteResponse, routeRequestJson } from './route-json.js';
export { injectOsaurusContext, mimeTypeFor, type OsaurusContext, osaurusContextScript, resolveStaticFile } from './static-web.js';
export { PluginRateLimiter, type RateLimitOptions } from './rate-limit.js';
export { type DevProxyConfig, devProxyFile, readDevProxy } from './dev-proxy.js';
export { type AccessKeyInfo, AccessKeyStore } from './access-keys.js';
