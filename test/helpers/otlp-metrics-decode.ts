import { type AttributeValue, attributesOf, type Field, fields } from './otlp-decode.ts';

// A decoder of OTLP metric exports (ExportMetricsServiceRequest, opentelemetry/proto/collector/metrics/v1)
// in protobuf, read by hand from the wire like the trace decoder (otlp-decode.ts), into plain metrics a
// test can assert on. Only the fields tests read: names, units, sums, gauges and explicit histograms.

/** One data point: a number (sum, gauge) or a histogram. */
export interface DecodedPoint {
  attributes: Record<string, AttributeValue>;
  startNs: bigint;
  timeNs: bigint;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
}

/** One metric of one export, with its resource's attributes. */
export interface DecodedMetric {
  name: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'other';
  /** 1 delta, 2 cumulative (sums and histograms). */
  temporality: number;
  monotonic: boolean;
  points: DecodedPoint[];
  scope: string;
  resource: Record<string, AttributeValue>;
}

/** Repeated fixed64/double: packed (one length-delimited field) or one field per value. */
function repeated8(f: Field, read: (b: Buffer, at: number) => number): number[] {
  const b = f.bytes as Buffer;
  if (f.wire === 1) return [read(b, 0)];
  const out: number[] = [];
  for (let at = 0; at + 8 <= b.length; at += 8) out.push(read(b, at));
  return out;
}

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));
const f64 = (b: Buffer, at: number) => b.readDoubleLE(at);

function numberPoint(buf: Buffer): DecodedPoint {
  const p: DecodedPoint = { attributes: attributesOf(buf, 7), startNs: 0n, timeNs: 0n };
  for (const f of fields(buf)) {
    const b = f.bytes as Buffer;
    if (f.no === 2) p.startNs = b.readBigUInt64LE(0);
    else if (f.no === 3) p.timeNs = b.readBigUInt64LE(0);
    else if (f.no === 4) p.value = b.readDoubleLE(0);
    else if (f.no === 6) p.value = Number(b.readBigInt64LE(0));
  }
  return p;
}

function histogramPoint(buf: Buffer): DecodedPoint {
  const p: DecodedPoint = {
    attributes: attributesOf(buf, 9),
    startNs: 0n,
    timeNs: 0n,
    bucketCounts: [],
    bounds: [],
  };
  for (const f of fields(buf)) {
    const b = f.bytes as Buffer;
    if (f.no === 2) p.startNs = b.readBigUInt64LE(0);
    else if (f.no === 3) p.timeNs = b.readBigUInt64LE(0);
    else if (f.no === 4) p.count = u64(b, 0);
    else if (f.no === 5) p.sum = b.readDoubleLE(0);
    else if (f.no === 6) p.bucketCounts?.push(...repeated8(f, u64));
    else if (f.no === 7) p.bounds?.push(...repeated8(f, f64));
  }
  return p;
}

function metric(buf: Buffer, scope: string, resource: Record<string, AttributeValue>): DecodedMetric {
  const m: DecodedMetric = {
    name: '',
    unit: '',
    kind: 'other',
    temporality: 0,
    monotonic: false,
    points: [],
    scope,
    resource,
  };
  for (const f of fields(buf)) {
    const b = f.bytes as Buffer;
    if (f.no === 1) m.name = b.toString('utf8');
    else if (f.no === 3) m.unit = b.toString('utf8');
    else if (f.no === 5 || f.no === 7 || f.no === 9) {
      m.kind = f.no === 5 ? 'gauge' : f.no === 7 ? 'sum' : 'histogram';
      for (const d of fields(b)) {
        if (d.no === 1) m.points.push((f.no === 9 ? histogramPoint : numberPoint)(d.bytes as Buffer));
        else if (d.no === 2) m.temporality = Number(d.varint);
        else if (d.no === 3 && f.no === 7) m.monotonic = d.varint === 1n;
      }
    }
  }
  return m;
}

/** Decodes a protobuf ExportMetricsServiceRequest. */
export function decodeMetricsRequest(body: Buffer): DecodedMetric[] {
  const out: DecodedMetric[] = [];
  for (const rm of fields(body)) {
    if (rm.no !== 1) continue;
    let resource: Record<string, AttributeValue> = {};
    const scopes: Buffer[] = [];
    for (const f of fields(rm.bytes as Buffer)) {
      if (f.no === 1) resource = attributesOf(f.bytes as Buffer, 1);
      if (f.no === 2) scopes.push(f.bytes as Buffer);
    }
    for (const sm of scopes) {
      let scope = '';
      for (const f of fields(sm)) {
        if (f.no === 1)
          for (const sc of fields(f.bytes as Buffer))
            if (sc.no === 1) scope = (sc.bytes as Buffer).toString('utf8');
        if (f.no === 2) out.push(metric(f.bytes as Buffer, scope, resource));
      }
    }
  }
  return out;
}
