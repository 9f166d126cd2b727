// Writes src/ingest/testdata/loki_proto/: one Loki push as snappy-compressed protobuf
// (push.pb.snappy), encoded by winston-loki's generated logproto code and the `snappy` package,
// and the same streams as Loki's JSON push (push.json), so the protobuf reader is checked against
// an encoder it shares no code with.
//
//   npm install winston-loki@6 snappy@7
//   node scripts/make-loki-proto-fixture.js OUT_DIR
const fs = require('fs');
const path = require('path');
const {logproto} = require('winston-loki/src/proto');
const snappy = require('snappy');

const out = process.argv[2] || '.';
fs.mkdirSync(out, {recursive: true});
const t0 = 1731960000;  // 2024-11-18T20:00:00Z
const streams = [
  {
    labels: {app: 'cart', pod: 'cart-7d9f8b6c5-x2x4z', level: 'error'},
    entries: [
      {s: t0, ns: 123456789, line: 'connection refused: carts-db:27017'},
      {s: t0 + 1, ns: 5, line: 'retrying "GET /carts/42"'},
    ],
  },
  {
    labels: {job: 'payment', instance: 'payment-1:8080'},
    entries: [{s: t0 + 2, ns: 0, line: 'WARN authorisation slow: 2310 ms'}],
  },
];
const labelText = l =>
    '{' + Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ') + '}';
const request = logproto.PushRequest.create({
  streams: streams.map(s => ({
    labels: labelText(s.labels),
    entries: s.entries.map(e => ({timestamp: {seconds: e.s, nanos: e.ns}, line: e.line})),
  })),
});
const pb = logproto.PushRequest.encode(request).finish();
fs.writeFileSync(path.join(out, 'push.pb.snappy'), snappy.compressSync(Buffer.from(pb)));
const json = {
  streams: streams.map(s => ({
    stream: s.labels,
    values: s.entries.map(e => [String(BigInt(e.s) * 1000000000n + BigInt(e.ns)), e.line]),
  })),
};
fs.writeFileSync(path.join(out, 'push.json'), JSON.stringify(json));
