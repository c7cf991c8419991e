export { McpError, type McpErrorCode } from './errors.js';
export {
  buildCatalog,
  type CatalogEntry,
  MCP_TOOL_NAME_MAX,
  mcpToolName,
  PLUGIN_PREFIX_SEPARATOR,
  sanitizeToolName,
  type ServedPlugin,
  type ToolTarget,
} from './catalog.js';
export { envelopeToCallToolResult, type InterpretedReply, interpretToolReply } from './tool-result.js';
export {
  createPluginToolServer,
  type PluginToolServer,
  type PluginToolServerOptions,
  type SessionOptions,
  type ToolCallEvent,
  type ToolCallStats,
} from './server.js';
export { type StdioConnection, type StdioOptions, serveStdio } from './stdio.js';
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpOptions, writeLoopbackToken } from './http.js';
