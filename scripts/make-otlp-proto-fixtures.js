// Writes the OTLP/protobuf test fixtures of src/ingest/testdata/otlp_proto/ with the
// OpenTelemetry JS SDK's own serializers, so the protobuf reader is checked against an encoder
// it does not share code with. Each signal is written twice, as protobuf (*.pb) and as OTLP/JSON
// (*.json) from the same records: the reader's test expects the same records from both.
//
//   npm install @opentelemetry/otlp-transformer@0.57 @opentelemetry/sdk-trace-base@1 \
//     @opentelemetry/sdk-logs@0.57 @opentelemetry/sdk-metrics@1 @opentelemetry/resources@1 \
//     @opentelemetry/api@1 @opentelemetry/api-logs@0.57
//   node scripts/make-otlp-proto-fixtures.js OUT_DIR
const fs = require('fs');
const path = require('path');
const api = require('@opentelemetry/api');
const {Resource} = require('@opentelemetry/resources');
const {BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor} =
    require('@opentelemetry/sdk-trace-base');
const {LoggerProvider, InMemoryLogRecordExporter, SimpleLogRecordProcessor} =
    require('@opentelemetry/sdk-logs');
const {MeterProvider, InMemoryMetricExporter, PeriodicExportingMetricReader, AggregationTemporality,
       View, ExponentialHistogramAggregation} = require('@opentelemetry/sdk-metrics');
const t = require('@opentelemetry/otlp-transformer');

const out = process.argv[2] || '.';
fs.mkdirSync(out, {recursive: true});
const write = (name, data) => fs.writeFileSync(path.join(out, name), data);
const resource = new Resource({
  'service.name': 'cart',
  'k8s.pod.name': 'cart-7d9f8b6c5-x2x4z',
  'service.version': '1.4.2',
});
const t0 = 1731960000000;  // 2024-11-18T20:00:00Z in ms

async function traces() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({resource});
  provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
  const tracer = provider.getTracer('fixture');
  const root = tracer.startSpan('GET /cart', {
    kind: api.SpanKind.SERVER,
    startTime: t0,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/cart',
      'http.response.status_code': 500,
      'retry.ratio': 0.25,
      'cache.hit': false,
      'items': ['a', 'b'],
    },
  });
  root.addEvent('exception', {'exception.message': 'connection refused'}, t0 + 3);
  root.setStatus({code: api.SpanStatusCode.ERROR, message: 'db down'});
  const ctx = api.trace.setSpan(api.context.active(), root);
  const child = tracer.startSpan('SELECT carts', {kind: api.SpanKind.CLIENT, startTime: t0 + 1}, ctx);
  child.end(t0 + 4);
  root.end(t0 + 5);
  const spans = exporter.getFinishedSpans();
  write('traces.pb', t.ProtobufTraceSerializer.serializeRequest(spans));
  write('traces.json', t.JsonTraceSerializer.serializeRequest(spans));
}

async function logs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({resource});
  provider.addLogRecordProcessor(new SimpleLogRecordProcessor(exporter));
  const logger = provider.getLogger('fixture');
  logger.emit({
    timestamp: new Date(t0 + 2),
    severityNumber: 17,
    severityText: 'ERROR',
    body: 'payment failed: card declined',
    attributes: {'order.id': 'o-17', 'attempt': 3},
  });
  logger.emit({timestamp: new Date(t0 + 6), severityNumber: 9, body: 'checkout ok'});
  const records = exporter.getFinishedLogRecords();
  write('logs.pb', t.ProtobufLogsSerializer.serializeRequest(records));
  write('logs.json', t.JsonLogsSerializer.serializeRequest(records));
}

async function metrics() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({exporter, exportIntervalMillis: 3600000});
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [new View({instrumentName: 'payload.size', aggregation: new ExponentialHistogramAggregation(20)})],
  });
  const meter = provider.getMeter('fixture');
  meter.createCounter('requests').add(7, {route: '/cart'});
  meter.createUpDownCounter('queue.depth').add(-2);
  const h = meter.createHistogram('latency_ms', {advice: {explicitBucketBoundaries: [5, 10, 50]}});
  for (const v of [3, 7, 7, 60]) h.record(v);
  const e = meter.createHistogram('payload.size');
  for (const v of [1, 2, 4, 1000]) e.record(v);
  meter.createObservableGauge('cpu.ratio').addCallback(r => r.observe(0.42));
  await reader.forceFlush();
  const rm = exporter.getMetrics();
  write('metrics.pb', t.ProtobufMetricsSerializer.serializeRequest(rm[rm.length - 1]));
  write('metrics.json', t.JsonMetricsSerializer.serializeRequest(rm[rm.length - 1]));
  await provider.shutdown();
}

(async () => {
  await traces();
  await logs();
  await metrics();
})();
