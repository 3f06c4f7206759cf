// A decoder of OTLP trace exports (ExportTraceServiceRequest, opentelemetry/proto/collector/trace/v1), in
// protobuf or in OTLP/JSON, into plain spans a test can assert on. Only the fields tests read are decoded;
// the protobuf wire format is read by hand (varint, fixed64, length-delimited, fixed32) so the receiver
// checks what is on the wire, not what an exporter library thinks it sent.

/** An attribute value: AnyValue as JavaScript (int64 as number; arrays as arrays). */
export type AttributeValue = string | number | boolean | AttributeValue[] | Record<string, unknown> | null;

/** One decoded span, with its resource's and scope's data. */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client (SpanKind). */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  scope: string;
  resource: Record<string, AttributeValue>;
}

/** Span kinds by number. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/** One protobuf field as read from the wire. */
export interface Field {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

/** The fields of a protobuf message, in wire order. */
export function* fields(buf: Buffer): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let out = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('protobuf: truncated varint');
      out |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return out;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, varint: varint() };
    else if (wire === 1) {
      yield { no, wire, bytes: buf.subarray(i, i + 8) };
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, bytes: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 5) {
      yield { no, wire, bytes: buf.subarray(i, i + 4) };
      i += 4;
    } else throw new Error(`protobuf: wire type ${wire} not expected`);
  }
}

function anyValue(buf: Buffer): AttributeValue {
  for (const f of fields(buf)) {
    const b = f.bytes as Buffer;
    switch (f.no) {
      case 1:
        return b.toString('utf8');
      case 2:
        return f.varint === 1n;
      case 3:
        return Number(BigInt.asIntN(64, f.varint as bigint));
      case 4:
        return b.readDoubleLE(0);
      case 5:
        return [...fields(b)].filter((x) => x.no === 1).map((x) => anyValue(x.bytes as Buffer));
      case 6:
        return Object.fromEntries(keyValues([...fields(b)].filter((x) => x.no === 1)));
      case 7:
        return b.toString('hex');
    }
  }
  return null;
}

function keyValues(list: Field[]): [string, AttributeValue][] {
  return list.map((f) => {
    let key = '';
    let value: AttributeValue = null;
    for (const kv of fields(f.bytes as Buffer)) {
      if (kv.no === 1) key = (kv.bytes as Buffer).toString('utf8');
      if (kv.no === 2) value = anyValue(kv.bytes as Buffer);
    }
    return [key, value];
  });
}

/** The KeyValue attributes at field `no` of a message. */
export function attributesOf(buf: Buffer, no: number): Record<string, AttributeValue> {
  return Object.fromEntries(keyValues([...fields(buf)].filter((f) => f.no === no)));
}

function span(buf: Buffer, scope: string, resource: Record<string, AttributeValue>): DecodedSpan {
  const s: DecodedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    status: { code: 0, message: '' },
    scope,
    resource,
  };
  const attrs: Field[] = [];
  for (const f of fields(buf)) {
    const b = f.bytes as Buffer;
    if (f.no === 1) s.traceId = b.toString('hex');
    else if (f.no === 2) s.spanId = b.toString('hex');
    else if (f.no === 3) s.traceState = b.toString('utf8');
    else if (f.no === 4) s.parentSpanId = b.toString('hex');
    else if (f.no === 5) s.name = b.toString('utf8');
    else if (f.no === 6) s.kind = Number(f.varint);
    else if (f.no === 7) s.startNs = b.readBigUInt64LE(0);
    else if (f.no === 8) s.endNs = b.readBigUInt64LE(0);
    else if (f.no === 9) attrs.push(f);
    else if (f.no === 15)
      for (const st of fields(b)) {
        if (st.no === 2) s.status.message = (st.bytes as Buffer).toString('utf8');
        if (st.no === 3) s.status.code = Number(st.varint);
      }
  }
  s.attributes = Object.fromEntries(keyValues(attrs));
  return s;
}

/** Decodes a protobuf ExportTraceServiceRequest. */
export function decodeTraceRequest(body: Buffer): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    let resource: Record<string, AttributeValue> = {};
    const scopes: Buffer[] = [];
    for (const f of fields(rs.bytes as Buffer)) {
      if (f.no === 1) resource = attributesOf(f.bytes as Buffer, 1);
      if (f.no === 2) scopes.push(f.bytes as Buffer);
    }
    for (const ss of scopes) {
      let scope = '';
      const spans: Buffer[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1)
          for (const sc of fields(f.bytes as Buffer))
            if (sc.no === 1) scope = (sc.bytes as Buffer).toString('utf8');
        if (f.no === 2) spans.push(f.bytes as Buffer);
      }
      for (const b of spans) out.push(span(b, scope, resource));
    }
  }
  return out;
}

type JsonAny = Record<string, unknown>;

function jsonValue(v: JsonAny | undefined): AttributeValue {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v)
    return ((v.arrayValue as JsonAny).values as JsonAny[] | undefined)?.map(jsonValue) ?? [];
  return null;
}

function jsonAttributes(list: unknown): Record<string, AttributeValue> {
  return Object.fromEntries(
    ((list as { key: string; value: JsonAny }[] | undefined) ?? []).map((a) => [a.key, jsonValue(a.value)]),
  );
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (ids in hex, as the JSON mapping writes them). */
export function decodeTraceJson(body: unknown): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const rs of ((body as JsonAny).resourceSpans as JsonAny[] | undefined) ?? []) {
    const resource = jsonAttributes((rs.resource as JsonAny | undefined)?.attributes);
    for (const ss of (rs.scopeSpans as JsonAny[] | undefined) ?? []) {
      const scope = String((ss.scope as JsonAny | undefined)?.name ?? '');
      for (const sp of (ss.spans as JsonAny[] | undefined) ?? []) {
        const status = (sp.status as JsonAny | undefined) ?? {};
        out.push({
          traceId: String(sp.traceId ?? ''),
          spanId: String(sp.spanId ?? ''),
          parentSpanId: String(sp.parentSpanId ?? ''),
          traceState: String(sp.traceState ?? ''),
          name: String(sp.name ?? ''),
          kind: Number(sp.kind ?? 0),
          startNs: BigInt(String(sp.startTimeUnixNano ?? '0')),
          endNs: BigInt(String(sp.endTimeUnixNano ?? '0')),
          attributes: jsonAttributes(sp.attributes),
          status: { code: Number(status.code ?? 0), message: String(status.message ?? '') },
          scope,
          resource,
        });
      }
    }
  }
  return out;
}
