export { type AddressClass, type AddressRange, classifyAddress, formatAddress, type IpAddress, parseHostAddress } from './address.js';
export { NetError, type NetErrorCode } from './errors.js';
export { FILE_READ_MAX_BYTES, fileRead, fileReadSync, mimeTypeForPath } from './file-read.js';
export {
  type BlockReason,
  checkUrl,
  type GuardOptions,
  type GuardRefusal,
  type GuardTarget,
  type ResolvedAddress,
  type ResolveOutcome,
  SsrfGuard,
} from './guard.js';
export { HTTP_LIMITS, type HostCallContext, type HttpTransportOptions, httpRequest } from './http-request.js';
export { createNet, type Net, type NetOptions } from './net.js';
export {
  ANONYMOUS_AGENT_BUCKET,
  type RateLimiterOptions,
  SlidingWindowLimiter,
  SlidingWindowRateLimiter,
} from './rate-limit.js';
export { isSensitiveHeaderName, REDACTED, redactHeaders, redactHttpJson, redactUrl } from './redact.js';
export { createFileReadSlotHandler, type FileReadSlotHandler, type FileReadSlotHandlerOptions } from './slot-handler.js';
