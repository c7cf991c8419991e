import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { InsightsError } from './errors.js';
import { createOtlpExport, otlpOptionsFromEnv } from './otlp.js';
import { hostCall, tempStore } from './test-support/store.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A loopback OTLP/HTTP receiver that decodes the JSON it is sent. */
async function receiver(): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    received.push({ path: request.url ?? '', headers: request.headers, body: JSON.parse(text) });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

type Attribute = { key: string; value: Record<string, unknown> };
const attributeMap = (attributes: Attribute[]) =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value['stringValue'] ?? Number(value['intValue'] ?? value['doubleValue'])]));

describe('OpenTelemetry export', () => {
  it('sends host calls as spans and log rows as log records to an OTLP/HTTP receiver', async () => {
    const { endpoint, received } = await receiver();
    const otlp = await createOtlpExport({ endpoint, headers: { 'x-collector-key': 'k1' }, serviceName: 'osr-host-test' });
    cleanups.push(() => otlp.shutdown());
    const opened = tempStore({ onRowsWritten: (rows) => otlp.exportRows(rows) });
    cleanups.push(opened.dispose);
    const started = new Date('2026-03-01T10:00:00.000Z');
    opened.store.record(hostCall({ slot: 'complete', pluginId: 'p', agentId: 'A1', status: 500, durationMs: 250, startedAt: started, args: ['{"model":"llama-3","api_key":"sk-1"}'] }));
    opened.store.record(hostCall({ slot: 'log_structured', pluginId: 'p', intArg: 3, status: 299, startedAt: started, args: ['slow query', '{"ms":950}'] }));
    opened.store.flush();
    await otlp.forceFlush();

    const traces = received.find((entry) => entry.path === '/v1/traces')!;
    const logs = received.find((entry) => entry.path === '/v1/logs')!;
    expect(traces.headers['x-collector-key']).toBe('k1');
    const resourceSpans = (traces.body['resourceSpans'] as { resource: { attributes: Attribute[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]!;
    expect(attributeMap(resourceSpans.resource.attributes)['service.name']).toBe('osr-host-test');
    const span = resourceSpans.scopeSpans[0]!.spans[0]!;
    expect(span['name']).toBe('POST complete');
    expect(BigInt(span['endTimeUnixNano'] as string) - BigInt(span['startTimeUnixNano'] as string)).toBe(250_000_000n);
    expect(BigInt(span['startTimeUnixNano'] as string)).toBe(BigInt(started.getTime()) * 1_000_000n);
    expect(span['status']).toMatchObject({ code: 2 });
    expect(attributeMap(span['attributes'] as Attribute[])).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/host-api/chat/completions',
      'http.response.status_code': 500,
      'osaurus.plugin.id': 'p',
      'osaurus.agent.id': 'A1',
      'gen_ai.request.model': 'llama-3',
    });
    const record = (logs.body['resourceLogs'] as { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[])[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({ severityNumber: 13, severityText: 'WARN', body: { stringValue: 'slow query' } });
    expect(attributeMap(record['attributes'] as Attribute[])).toMatchObject({ 'osaurus.plugin.id': 'p', 'osaurus.payload': '{"ms":950}', 'osaurus.status': 299 });
    expect(JSON.stringify(received)).not.toContain('sk-1');
  });

  it('refuses an endpoint that is not an http(s) URL', async () => {
    await expect(createOtlpExport({ endpoint: 'localhost:4318' })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('otlpOptionsFromEnv', () => {
  it('reads the standard OpenTelemetry variables; no endpoint means no export', () => {
    expect(otlpOptionsFromEnv({})).toBeUndefined();
    expect(otlpOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
    expect(
      otlpOptionsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k1, authorization=Bearer%20t%3D1',
        OTEL_SERVICE_NAME: 'osr-host-prod',
      }),
    ).toEqual({ endpoint: 'http://127.0.0.1:4318', headers: { 'x-collector-key': 'k1', authorization: 'Bearer t=1' }, serviceName: 'osr-host-prod' });
  });

  it('refuses a header entry that is not key=value', () => {
    expect(() => otlpOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(InsightsError);
  });
});
