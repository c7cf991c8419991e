import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { PluginToolServer } from './server.js';

export interface StdioOptions {
  /** Default `process.stdin`. */
  stdin?: Readable;
  /** Default `process.stdout`. Nothing else may write to it: log to stderr. */
  stdout?: Writable;
  /** The agent this connection's calls run under; default the server's. */
  agentId?: string | null;
}

/** A running stdio connection. */
export interface StdioConnection {
  /** Resolves once the client closed stdin or `close` ran; then unload plugins and exit. */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Serves one MCP client over stdin/stdout (what `osr-host mcp` runs). */
export async function serveStdio(toolServer: PluginToolServer, options: StdioOptions = {}): Promise<StdioConnection> {
  const stdin = options.stdin ?? process.stdin;
  const session = toolServer.createSession(options.agentId === undefined ? {} : { agentId: options.agentId });
  const forgetSession = session.onclose;
  const closed = new Promise<void>((resolve) => {
    session.onclose = () => {
      forgetSession?.();
      resolve();
    };
  });
  await session.connect(new StdioServerTransport(stdin, options.stdout ?? process.stdout));
  // The SDK's stdio transport does not watch for end of input; a client that exits only closes stdin.
  const closeSession = () => void session.close();
  stdin.once('end', closeSession);
  stdin.once('close', closeSession);
  return { closed, close: () => session.close() };
}
