import { otlpOptionsFromEnv } from '@osr-host/insights';
import type { OsrHost } from '../host.js';
import { logger } from './io.js';

/** Points the host's Insights at an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export async function exportTelemetry(host: OsrHost): Promise<void> {
  const options = otlpOptionsFromEnv(process.env);
  if (options === undefined) return;
  await host.exportToOtlp(options);
  logger().info(`insights: exporting to ${options.endpoint} (OTLP/HTTP)`);
}
