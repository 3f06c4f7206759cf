import type { IncomingHttpHeaders } from 'node:http';
import { METHODS, PROTOCOLS, type TlsLabels } from './labels.ts';

// Request metrics are counted in plain numbers held by the subject they belong to (an entryPoint, a
// router, a service), one cell per status code, method and protocol, found by a numeric key. prom-client
// hashes and validates a label set on every increment, child or not; this keeps a request to a map lookup
// and a few additions. The cells become prom-client metric values only when Prometheus scrapes
// (request-families.ts).

/** A request's series key: status code, method index and protocol index in one number. */
export function seriesKey(code: number, method: number, protocol: number): number {
  return code * 128 + method * 8 + protocol;
}

/** The counters of one status code, method and protocol of one subject. */
export interface Cell {
  readonly code: string;
  readonly method: string;
  readonly protocol: string;
  requests: number;
  requestBytes: number;
  responseBytes: number;
  durationSum: number;
  /** Requests per bucket (not cumulative); the last one is +Inf. */
  readonly buckets: Float64Array;
  /** With headerLabels: requests by the values of the label headers (joined with NUL). */
  byHeaders?: Map<string, number>;
}

/** `headerLabels` resolved: label names and the (lower-case) headers they read. */
export interface HeaderLabels {
  readonly names: readonly string[];
  readonly headers: readonly string[];
}

/** The values of the header labels of a request, joined with NUL (missing headers are empty, as Traefik). */
export function headerValues(headers: IncomingHttpHeaders, labels: HeaderLabels): string {
  let out = '';
  for (let i = 0; i < labels.headers.length; i++) {
    const v = headers[labels.headers[i] as string];
    const text = v === undefined ? '' : Array.isArray(v) ? (v[0] ?? '') : v;
    out = i === 0 ? text : `${out}\u0000${text}`;
  }
  return out;
}

/** The request counters of one entryPoint, router or service, with its base labels. */
export class Subject {
  readonly labels: Readonly<Record<string, string>>;
  readonly cells = new Map<number, Cell>();
  readonly tls = new Map<TlsLabels, number>();
  retries = 0;
  /** Gone from the configuration: exported once more, then dropped (as Traefik does). */
  removed = false;
  private readonly bounds: readonly number[];

  constructor(labels: Record<string, string>, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
  }

  /** Counts one finished request. */
  add(
    key: number,
    code: number,
    method: number,
    protocol: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
    headerKey: string | undefined,
  ): void {
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = {
        code: String(code),
        method: METHODS[method] ?? 'EXTENSION_METHOD',
        protocol: PROTOCOLS[protocol] ?? 'http',
        requests: 0,
        requestBytes: 0,
        responseBytes: 0,
        durationSum: 0,
        buckets: new Float64Array(this.bounds.length + 1),
      };
      this.cells.set(key, cell);
    }
    cell.requests++;
    cell.requestBytes += requestBytes;
    cell.responseBytes += responseBytes;
    cell.durationSum += seconds;
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && seconds > (bounds[b] as number)) b++;
    (cell.buckets[b] as number)++;
    if (headerKey !== undefined) {
      cell.byHeaders ??= new Map();
      cell.byHeaders.set(headerKey, (cell.byHeaders.get(headerKey) ?? 0) + 1);
    }
  }

  /** Counts one TLS request. */
  addTls(tls: TlsLabels): void {
    this.tls.set(tls, (this.tls.get(tls) ?? 0) + 1);
  }
}

/** Subjects of one level (entryPoints, routers or services) by key, created on first use. */
export class SubjectMap {
  readonly subjects = new Map<string, Subject>();
  private readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  /** Creates the subject of `key` with these base labels (callers look it up in `subjects` first). */
  create(key: string, labels: Record<string, string>): Subject {
    const s = new Subject(labels, this.bounds);
    this.subjects.set(key, s);
    return s;
  }

  /** Marks the subjects not in `live` removed: the next scrape exports them a last time. */
  retain(live: (key: string) => boolean): void {
    for (const [key, s] of this.subjects) if (!live(key)) s.removed = true;
  }

  /** After a scrape: drops the subjects marked removed. */
  sweep(): void {
    for (const [key, s] of this.subjects) if (s.removed) this.subjects.delete(key);
  }
}
