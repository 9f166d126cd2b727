// Sends spans, log records and metric points to an OTLP/gRPC receiver (`augur serve`'s
// --grpc-port) through the OpenTelemetry JS SDK's gRPC exporters, whose transport is @grpc/grpc-js,
// a gRPC implementation that shares no code with the gRPC C++ library augur serves with. Prints
// what each export answered and how long the spans took. A manual check (docs/BENCHMARKS.md,
// "OTLP/gRPC"); no test needs it.
//
//   npm install @opentelemetry/exporter-trace-otlp-grpc@0.57 \
//     @opentelemetry/exporter-logs-otlp-grpc@0.57 @opentelemetry/exporter-metrics-otlp-grpc@0.57 \
//     @opentelemetry/sdk-trace-base@1 @opentelemetry/sdk-logs@0.57 @opentelemetry/sdk-metrics@1 \
//     @opentelemetry/resources@1 @opentelemetry/api@1 @opentelemetry/api-logs@0.57
//   node scripts/otlp-grpc-send.js PORT [SPANS] [--gzip]
const api = require('@opentelemetry/api');
const {Resource} = require('@opentelemetry/resources');
const {BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor} =
    require('@opentelemetry/sdk-trace-base');
const {LoggerProvider, InMemoryLogRecordExporter, SimpleLogRecordProcessor} =
    require('@opentelemetry/sdk-logs');
const {MeterProvider, InMemoryMetricExporter, PeriodicExportingMetricReader,
       AggregationTemporality} = require('@opentelemetry/sdk-metrics');
const {OTLPTraceExporter} = require('@opentelemetry/exporter-trace-otlp-grpc');
const {OTLPLogExporter} = require('@opentelemetry/exporter-logs-otlp-grpc');
const {OTLPMetricExporter} = require('@opentelemetry/exporter-metrics-otlp-grpc');

const port = process.argv[2];
const total = Number(process.argv[3] || 10000);
const compression = process.argv.includes('--gzip') ? 'gzip' : 'none';
const url = `http://127.0.0.1:${port}`;
const resource = new Resource({'service.name': 'cart', 'k8s.pod.name': 'cart-7d9f8b6c5-x2x4z'});
const t0 = Date.now() - 60000;

const exportOnce = (exporter, items) => new Promise((resolve) => exporter.export(items, resolve));
const describe = (r) => (r.code === 0 ? 'ok' : `failed: ${r.error && r.error.message}`);

async function main() {
  // Spans: made once in memory, then exported in batches of 512 as a BatchSpanProcessor would.
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({resource});
  provider.addSpanProcessor(new SimpleSpanProcessor(memory));
  const tracer = provider.getTracer('otlp-grpc-send');
  for (let i = 0; i < total; i += 2) {
    const root = tracer.startSpan('GET /cart', {kind: api.SpanKind.SERVER, startTime: t0 + i,
                                                attributes: {'http.response.status_code': 200}});
    const ctx = api.trace.setSpan(api.context.active(), root);
    tracer.startSpan('SELECT carts', {kind: api.SpanKind.CLIENT, startTime: t0 + i}, ctx)
        .end(t0 + i + 1);
    root.end(t0 + i + 2);
  }
  const spans = memory.getFinishedSpans();
  const traces = new OTLPTraceExporter({url, compression});
  const started = process.hrtime.bigint();
  let failed = 0, batches = 0;
  for (let i = 0; i < spans.length; i += 512) {
    const r = await exportOnce(traces, spans.slice(i, i + 512));
    ++batches;
    if (r.code !== 0) {
      ++failed;
      if (failed === 1) console.log(`spans: ${describe(r)}`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`spans: ${spans.length} in ${batches} export(s), ${failed} failed, ` +
              `${seconds.toFixed(2)} s (${Math.round(spans.length / seconds)} spans/s), ` +
              `compression ${compression}`);

  const logMemory = new InMemoryLogRecordExporter();
  const loggers = new LoggerProvider({resource});
  loggers.addLogRecordProcessor(new SimpleLogRecordProcessor(logMemory));
  const logger = loggers.getLogger('otlp-grpc-send');
  logger.emit({timestamp: new Date(t0), severityText: 'ERROR', severityNumber: 17,
               body: 'connection refused to carts-db:27017'});
  logger.emit({timestamp: new Date(t0 + 5), severityText: 'INFO', severityNumber: 9, body: 'GET /cart 200'});
  const logs = new OTLPLogExporter({url, compression});
  console.log(`logs: ${logMemory.getFinishedLogRecords().length} record(s): ` +
              describe(await exportOnce(logs, logMemory.getFinishedLogRecords())));

  const metricMemory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({exporter: metricMemory,
                                                    exportIntervalMillis: 3600000});
  const meters = new MeterProvider({resource, readers: [reader]});
  const meter = meters.getMeter('otlp-grpc-send');
  meter.createCounter('http.server.requests').add(42, {'http.route': '/cart'});
  meter.createHistogram('http.server.duration', {unit: 'ms'}).record(12.5);
  await reader.forceFlush();
  const metrics = new OTLPMetricExporter({url, compression});
  console.log(`metrics: ${describe(await exportOnce(metrics, metricMemory.getMetrics()[0]))}`);

  // A method augur does not serve: the answer should be UNIMPLEMENTED (12), not a hang.
  const grpc = require('@grpc/grpc-js');
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  await new Promise((resolve) => client.makeUnaryRequest(
      '/jaeger.api_v2.CollectorService/PostSpans', (b) => b, (b) => b, Buffer.alloc(0), (err) => {
        console.log(`unknown method: code ${err ? err.code : 0} ${err ? err.details : ''}`);
        resolve();
      }));
  for (const e of [traces, logs, metrics]) await e.shutdown();
  client.close();
}
main();
