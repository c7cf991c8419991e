/** Machine-readable reasons an MCP serving operation can fail. */
export type McpErrorCode = 'no_credentials' | 'token_file_unwritable';

/** The one error class of @osr-host/mcp: branch on `code`, show `message`. */
export class McpError extends Error {
  override readonly name = 'McpError';
  readonly code: McpErrorCode;

  constructor(code: McpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
