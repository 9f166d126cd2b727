// Writes src/ingest/testdata/zipkin_proto/: the same three Zipkin v2 spans as a protobuf
// ListOfSpans (spans.pb), encoded by protobufjs from Zipkin's own schema, and as Zipkin's JSON
// (spans.json). The reader's test expects the same records from both, so the protobuf reader is
// checked against the official field numbers and an encoder it shares no code with.
//
// zipkin.proto: openzipkin/zipkin-api's proto3 schema, as Debian's golang-github-openzipkin-zipkin-go-dev
// ships it (/usr/share/gocode/src/github.com/openzipkin/zipkin-go/proto/v2/zipkin.proto; `apt-get
// download` and `dpkg -x` give it without installing).
//   npm install protobufjs@7
//   node scripts/make-zipkin-proto-fixture.js PATH/TO/zipkin.proto OUT_DIR
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const [protoPath, out] = [process.argv[2], process.argv[3] || '.'];
const root = protobuf.loadSync(protoPath);
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

const hex = (h) => Buffer.from(h, 'hex');
const trace128 = '5b8efff798038103d269b633813fc60c';
const trace64 = '463ac35c9f6413ad';
const t0 = 1731960000000000;  // 2024-11-18T20:00:00Z in microseconds

// One description of each span, written both ways.
const spans = [
  {  // a CLIENT call with a parent, a remote endpoint, tags and annotations
    traceId: trace128, parentId: 'a1b2c3d4e5f60718', id: 'eee19b7ec3c1b174', kind: 'CLIENT',
    name: 'get /carts/{id}', timestamp: t0, duration: 25000,
    local: {serviceName: 'front-end', ipv4: '10.1.2.3'},
    remote: {serviceName: 'carts', ipv4: '10.1.2.4', port: 8080},
    annotations: [{timestamp: t0 + 10, value: 'ws'}, {timestamp: t0 + 24990, value: 'wr'}],
    tags: {'http.method': 'GET', 'http.path': '/carts/42', 'http.status_code': '500',
           'error': 'Internal Server Error'},
  },
  {  // its SERVER half, sharing the client's id
    traceId: trace128, parentId: 'a1b2c3d4e5f60718', id: 'eee19b7ec3c1b174', kind: 'SERVER',
    name: 'get /carts/{id}', timestamp: t0 + 1000, duration: 22000, shared: true,
    local: {serviceName: 'carts', ipv6: '2001:db8::1'},
    tags: {'http.status_code': '500'},
  },
  {  // a 64-bit trace id, PRODUCER, no endpoint address
    traceId: trace64, id: '0102030405060708', kind: 'PRODUCER', name: 'publish shipping-task',
    timestamp: t0 + 5000, duration: 300, local: {serviceName: 'orders'},
  },
];

const ipBytes = (text) => {
  if (text.includes(':')) {  // IPv6, with one '::'
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [], t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
  }
  return Buffer.from(text.split('.').map(Number));
};
const endpointProto = (e) => e && {
  serviceName: e.serviceName,
  ipv4: e.ipv4 ? ipBytes(e.ipv4) : undefined,
  ipv6: e.ipv6 ? ipBytes(e.ipv6) : undefined,
  port: e.port,
};
const kinds = {CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4};

const message = ListOfSpans.create({spans: spans.map((s) => ({
  traceId: hex(s.traceId), parentId: s.parentId ? hex(s.parentId) : undefined, id: hex(s.id),
  kind: kinds[s.kind], name: s.name,
  timestamp: protobuf.util.Long.fromNumber(s.timestamp, true),
  duration: protobuf.util.Long.fromNumber(s.duration, true),
  localEndpoint: endpointProto(s.local), remoteEndpoint: endpointProto(s.remote),
  annotations: (s.annotations || []).map((a) => ({
    timestamp: protobuf.util.Long.fromNumber(a.timestamp, true), value: a.value})),
  tags: s.tags || {}, shared: s.shared || false,
}))});
const err = ListOfSpans.verify(message);
if (err) throw new Error(err);

const json = spans.map((s) => {
  const j = {traceId: s.traceId, id: s.id, kind: s.kind, name: s.name, timestamp: s.timestamp,
             duration: s.duration, localEndpoint: s.local};
  if (s.parentId) j.parentId = s.parentId;
  if (s.remote) j.remoteEndpoint = s.remote;
  if (s.annotations) j.annotations = s.annotations;
  if (s.tags) j.tags = s.tags;
  if (s.shared) j.shared = true;
  return j;
});

fs.mkdirSync(out, {recursive: true});
fs.writeFileSync(path.join(out, 'spans.pb'), ListOfSpans.encode(message).finish());
fs.writeFileSync(path.join(out, 'spans.json'), JSON.stringify(json, null, 1) + '\n');
