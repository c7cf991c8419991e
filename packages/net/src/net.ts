import { rootCertificates } from 'node:tls';
import { fileRead } from './file-read.js';
import { type GuardOptions, SsrfGuard } from './guard.js';
import { type HostCallContext, httpRequest } from './http-request.js';
import { SlidingWindowRateLimiter } from './rate-limit.js';

export interface NetOptions extends GuardOptions {
  /** The host's home directory; `file_read` serves only `<home>/artifacts/`. */
  home: string;
  /** Product token appended to plugins' User-Agent before `Plugin/<id>`; default `osr-host`. */
  hostProduct?: string;
  /** Rate limiter for `http_request`; default 60 calls per 60 s per (plugin, agent). */
  rateLimiter?: SlidingWindowRateLimiter;
  /** Extra certificate authorities (PEM) trusted for https, on top of Node's bundled roots. */
  extraCa?: ReadonlyArray<string | Buffer>;
}

/** The two host-API slots, with the guard and rate limiter they use. */
export interface Net {
  httpRequest(ctx: HostCallContext, requestJson: string | null): Promise<string | null>;
  fileRead(ctx: HostCallContext, requestJson: string | null): Promise<string | null>;
  readonly guard: SsrfGuard;
  readonly rateLimiter: SlidingWindowRateLimiter;
}

/** Builds the `http_request` and `file_read` slots; throws `NetError` on a malformed allow-list or origin. */
export function createNet(options: NetOptions): Net {
  const guard = new SsrfGuard(options);
  const rateLimiter = options.rateLimiter ?? new SlidingWindowRateLimiter();
  const transport = {
    guard,
    rateLimiter,
    hostProduct: options.hostProduct ?? 'osr-host',
    ...(options.extraCa?.length ? { ca: [...rootCertificates, ...options.extraCa] } : {}),
  };
  return {
    guard,
    rateLimiter,
    httpRequest: (ctx, requestJson) => httpRequest(transport, ctx, requestJson),
    fileRead: (_ctx, requestJson) => fileRead(options.home, requestJson),
  };
}
