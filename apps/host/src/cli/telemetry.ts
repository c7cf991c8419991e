import { otlpOptionsFromEnv } from '@osr-host/insights';
import type { OsrHost } from '../host.js';

/** Points the host's Insights at an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export async function exportTelemetry(host: OsrHost): Promise<void> {
  const options = otlpOptionsFromEnv(process.env);
  if (options === undefined) return;
  await host.exportToOtlp(options);
  process.stderr.write(`osr-host: insights: exporting to ${options.endpoint} (OTLP/HTTP)\n`);
}
