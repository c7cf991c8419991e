import { InsightsError } from './errors.js';
import type { NewActivityRow } from './schema.js';

export interface OtlpExportOptions {
  /** The OTLP/HTTP receiver's base URL, e.g. `http://127.0.0.1:4318`; `/v1/traces` and `/v1/logs` are appended. */
  endpoint: string;
  /** Sent with every export (e.g. a collector's auth header). */
  headers?: Record<string, string>;
  /** `service.name` of the resource (default `osr-host`). */
  serviceName?: string;
  /** How long records wait to be batched (default 1000 ms). */
  scheduledDelayMs?: number;
}

/** Sends Insights rows to an OpenTelemetry collector: host calls as spans, log rows as log records. */
export interface OtlpExport {
  /** Queues rows for export (pass it as the store's `onRowsWritten`). */
  exportRows(rows: readonly NewActivityRow[]): void;
  /** Sends everything queued now. */
  forceFlush(): Promise<void>;
  /** Sends what is queued and stops. */
  shutdown(): Promise<void>;
}

/**
 * Export options from OpenTelemetry's standard variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (none:
 * undefined, no export), `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`, values URL-encoded) and
 * `OTEL_SERVICE_NAME`, so a host is pointed at a collector the way any OpenTelemetry program is.
 */
export function otlpOptionsFromEnv(env: Record<string, string | undefined>): OtlpExportOptions | undefined {
  const endpoint = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (!endpoint) return undefined;
  const options: OtlpExportOptions = { endpoint };
  const headerList = env['OTEL_EXPORTER_OTLP_HEADERS']?.trim();
  if (headerList) {
    const headers: Record<string, string> = {};
    for (const pair of headerList.split(',')) {
      const separator = pair.indexOf('=');
      const key = pair.slice(0, separator).trim();
      if (separator <= 0 || key === '') {
        throw new InsightsError('invalid_argument', `OTEL_EXPORTER_OTLP_HEADERS entry ${JSON.stringify(pair)} is not key=value; separate entries with commas.`);
      }
      headers[key] = decodeURIComponent(pair.slice(separator + 1).trim());
    }
    options.headers = headers;
  }
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  if (serviceName) options.serviceName = serviceName;
  return options;
}

/** OpenTelemetry severity numbers for the Insights levels (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17). */
const SEVERITY: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, LOG: 9 };
/** Attribute values are capped so one huge body cannot make an export too large for a collector. */
const ATTRIBUTE_VALUE_LIMIT = 16_384;

function commonAttributes(row: NewActivityRow): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'osaurus.plugin.id': row.pluginId, 'osaurus.slot': row.slot };
  if (row.agentId) attributes['osaurus.agent.id'] = row.agentId;
  if (row.frame) attributes['osaurus.frame'] = row.frame;
  return attributes;
}

/**
 * Builds the export with the official `@opentelemetry/*` SDK packages, loaded
 * only here so hosts without a collector never pay for them. Nothing is
 * registered globally.
 */
export async function createOtlpExport(options: OtlpExportOptions): Promise<OtlpExport> {
  if (!URL.canParse(options.endpoint) || !/^https?:$/.test(new URL(options.endpoint).protocol)) {
    throw new InsightsError('invalid_argument', `OTLP endpoint ${JSON.stringify(options.endpoint)} is not an http(s) URL; pass the receiver's base URL, e.g. http://127.0.0.1:4318.`);
  }
  const [{ SpanKind, SpanStatusCode }, { SeverityNumber }, resources, traces, logs, { OTLPTraceExporter }, { OTLPLogExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/api-logs'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-logs-otlp-http'),
  ]);
  const base = options.endpoint.replace(/\/+$/, '');
  const resource = resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'osr-host' });
  const batch = { scheduledDelayMillis: options.scheduledDelayMs ?? 1000 };
  const tracerProvider = new traces.BasicTracerProvider({
    resource,
    spanLimits: { attributeValueLengthLimit: ATTRIBUTE_VALUE_LIMIT },
    spanProcessors: [new traces.BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers: options.headers }), batch)],
  });
  const loggerProvider = new logs.LoggerProvider({
    resource,
    logRecordLimits: { attributeValueLengthLimit: ATTRIBUTE_VALUE_LIMIT },
    processors: [new logs.BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs`, headers: options.headers }), ...batch })],
  });
  const tracer = tracerProvider.getTracer('@osr-host/insights');
  const logger = loggerProvider.getLogger('@osr-host/insights');

  const exportRow = (row: NewActivityRow) => {
    if (row.kind === 'call') {
      const attributes: Record<string, string | number> = {
        ...commonAttributes(row),
        'http.request.method': row.method,
        'url.path': row.path,
        'http.response.status_code': row.status,
        'osaurus.request.bytes': row.requestBytes,
        'osaurus.response.bytes': row.responseBytes,
      };
      if (row.model) attributes['gen_ai.request.model'] = row.model;
      const span = tracer.startSpan(`${row.method} ${row.slot}`, { kind: SpanKind.SERVER, startTime: row.ts, attributes });
      // Server-span convention: only 5xx marks the span as failed; 4xx are the caller's errors.
      if (row.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `status ${row.status}` });
      span.end(row.ts + row.durationMs);
      return;
    }
    const level = row.level ?? 'LOG';
    const attributes: Record<string, string | number> = { ...commonAttributes(row), 'osaurus.status': row.status };
    if (row.payload) attributes['osaurus.payload'] = row.payload;
    else if (row.slot === 'log_structured' && row.requestBody) attributes['osaurus.payload_text'] = row.requestBody;
    logger.emit({
      timestamp: row.ts,
      severityNumber: (SEVERITY[level] ?? SeverityNumber.INFO) as typeof SeverityNumber.INFO,
      severityText: level,
      body: row.path.replace(/^\[[A-Z]+\] /, ''),
      attributes,
    });
  };

  return {
    exportRows(rows) {
      for (const row of rows) exportRow(row);
    },
    async forceFlush() {
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}
