// Test harness for the conformance suites: one target (the in-process server, or a real Consul when
// CONSUL_HTTP_ADDR is set), a small undici client, and clock control for session TTLs and lock-delays and
// for blocking-query timeouts (in-process a parked query times out only when a test lets its wait pass).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import {
  type ConsulTestServer,
  type ConsulTestServerOptions,
  startConsulTestServer,
  type WaitTimers,
} from './server.ts';

/** The real Consul under test, if any (CONSUL_HTTP_ADDR, with or without a scheme). */
export const REAL_CONSUL = process.env.CONSUL_HTTP_ADDR
  ? /^https?:\/\//.test(process.env.CONSUL_HTTP_ADDR)
    ? process.env.CONSUL_HTTP_ADDR.replace(/\/$/, '')
    : `http://${process.env.CONSUL_HTTP_ADDR}`
  : undefined;

/** True when the suites run against a real Consul (test hooks and clock tricks are then skipped). */
export const REAL = REAL_CONSUL !== undefined;

/** A clock that real time drives and tests can push forward. */
export class TestClock {
  private offset = 0;
  /** The current time in ms. */
  readonly now = (): number => Date.now() + this.offset;
  /** Jumps forward. */
  advance(ms: number): void {
    this.offset += ms;
  }
}

/**
 * Blocking-query time for the in-process server: a timeout fires only when a test lets time pass, so a test
 * can see the timeout each parked query got and that it has not fired yet, with no real clock involved.
 */
export class ManualWaitTimers implements WaitTimers {
  private current = 0;
  private readonly timers = new Set<{ due: number; fire: () => void }>();

  /** Time on this clock (ms); it moves only through `passTo`. */
  get now(): number {
    return this.current;
  }

  set(fire: () => void, ms: number): () => void {
    const timer = { due: this.current + ms, fire };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** The time left (ms) to each timeout scheduled now. */
  pending(): number[] {
    return [...this.timers].map((t) => t.due - this.current);
  }

  /** Moves to `time` (never back) and fires, in order, every timeout due by then. */
  passTo(time: number): void {
    this.current = Math.max(this.current, time);
    const due = [...this.timers].filter((t) => t.due <= this.current).sort((a, b) => a.due - b.due);
    for (const t of due) {
      this.timers.delete(t);
      t.fire();
    }
  }
}

/** What a suite talks to. */
export interface Target {
  readonly real: boolean;
  readonly url: string;
  /** Sent on every request unless a call overrides it. */
  readonly token: string | undefined;
  /** A unique key prefix for this suite (ends with "/"). */
  readonly prefix: string;
  /** The in-process server, absent against a real Consul. */
  readonly server: ConsulTestServer | undefined;
  /** Moves session/lock-delay time forward: the fake clock in-process, a real sleep against Consul. */
  advance(ms: number): Promise<void>;
  /** The in-process server's blocking-query clock; absent against a real Consul. */
  readonly waits: ManualWaitTimers | undefined;
  /** Sessions to destroy at close (filled by createSession). */
  readonly sessions: string[];
  close(): Promise<void>;
}

/** Opens a target; in-process options apply only when no real Consul is configured. */
export async function openTarget(opts: ConsulTestServerOptions = {}): Promise<Target> {
  const prefix = `wharf-conformance-${randomUUID().slice(0, 8)}/`;
  const sessions: string[] = [];
  if (REAL_CONSUL) {
    const target: Target = {
      real: true,
      url: REAL_CONSUL,
      token: process.env.CONSUL_HTTP_TOKEN || undefined,
      prefix,
      server: undefined,
      waits: undefined,
      sessions,
      advance: async (ms) => {
        await sleep(ms);
      },
      async close() {
        for (const id of sessions) await call(target, 'PUT', `/v1/session/destroy/${id}`);
        await call(target, 'DELETE', `/v1/kv/${prefix}`, { query: { recurse: '' } });
      },
    };
    return target;
  }
  const clock = new TestClock();
  const waits = new ManualWaitTimers();
  const server = await startConsulTestServer({ now: clock.now, waitTimers: waits, ...opts });
  return {
    real: false,
    url: server.url,
    token: opts.token,
    prefix,
    server,
    waits,
    sessions,
    advance: async (ms) => clock.advance(ms),
    close: () => server.close(),
  };
}

/** Resolves once `count` blocking queries are parked in-process (2 s deadline), or after 200 ms against Consul. */
export async function parked(t: Target, count = 1): Promise<void> {
  if (!t.server) {
    await sleep(200);
    return;
  }
  const deadline = Date.now() + 2000;
  while (t.server.stats.waiting < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} parked blocking queries after 2 s`);
    await sleep(5);
  }
}

/** A blocking query in flight: its answer, and whether that came yet. */
export interface Blocked {
  readonly answer: Promise<Res>;
  readonly settled: boolean;
  /** When it was sent: the wait clock's time in-process, real time (ms) against Consul. */
  readonly sentAt: number;
}

/** Sends a GET that may block (give `index` and `wait`), tracking whether it was answered. */
export function block(t: Target, key: string, query: CallOptions['query']): Blocked {
  const q = { settled: false, sentAt: t.waits ? t.waits.now : Date.now() } as {
    settled: boolean;
    sentAt: number;
  };
  const answer = get(t, key, query).finally(() => {
    q.settled = true;
  });
  return Object.assign(q, { answer });
}

/**
 * Lets a blocking query's wait run to `ms` after it was sent: in-process the wait clock moves there and due
 * timeouts fire at once; against Consul this sleeps (its clock cannot be moved).
 */
export async function letWaitRun(t: Target, q: Blocked, ms: number): Promise<void> {
  if (t.waits) t.waits.passTo(q.sentAt + ms);
  else await sleep(Math.max(0, q.sentAt + ms - Date.now()));
}

/**
 * Whether a blocking query is still parked: the server's count in-process (the test's target has no other
 * parked query), not answered yet against Consul.
 */
export function stillWaiting(t: Target, q: Blocked): boolean {
  return t.server ? t.server.stats.waiting > 0 && !q.settled : !q.settled;
}

/** One answer, with the X-Consul-Index parsed. */
export interface Res {
  status: number;
  headers: Record<string, string>;
  text: string;
  bytes: Buffer;
  /** X-Consul-Index as a number, or NaN when absent. */
  index: number;
  json<T = unknown>(): T;
}

/** Per-call options: query parameters (value '' for a bare flag), body, headers, token override (null: none). */
export interface CallOptions {
  query?: Record<string, string | number>;
  body?: string | Buffer;
  headers?: Record<string, string>;
  token?: string | null;
}

/** Sends one request to the target with undici. */
export async function call(t: Target, method: string, path: string, opts: CallOptions = {}): Promise<Res> {
  const qs = Object.entries(opts.query ?? {})
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? t.token : opts.token;
  if (token) headers['x-consul-token'] = token;
  const res = await request(`${t.url}${path}${qs ? `?${qs}` : ''}`, {
    method: method as 'GET',
    headers,
    body: opts.body,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const text = bytes.toString('utf8');
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = String(v);
  return {
    status: res.statusCode,
    headers: flat,
    text,
    bytes,
    index: Number(flat['x-consul-index'] ?? Number.NaN),
    json: <T>() => JSON.parse(text) as T,
  };
}

/** A KV entry as Consul returns it (Flags read through JSON.parse: exact below 2^53). */
export interface Entry {
  LockIndex: number;
  Key: string;
  Flags: number;
  Value: string | null;
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Base64 of a UTF-8 string. */
export function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

/** PUT /v1/kv/<key>. */
export function put(
  t: Target,
  key: string,
  value: string | Buffer = '',
  query?: CallOptions['query'],
): Promise<Res> {
  return call(t, 'PUT', `/v1/kv/${key}`, { body: value, ...(query ? { query } : {}) });
}

/** GET /v1/kv/<key>. */
export function get(t: Target, key: string, query?: CallOptions['query']): Promise<Res> {
  return call(t, 'GET', `/v1/kv/${key}`, query ? { query } : {});
}

/** GET a single key and return its entry (throws when missing). */
export async function entry(t: Target, key: string): Promise<Entry> {
  const res = await get(t, key);
  if (res.status !== 200) throw new Error(`GET ${key}: ${res.status} ${res.text}`);
  const [first] = res.json<Entry[]>();
  if (!first) throw new Error(`GET ${key}: empty answer`);
  return first;
}

/** PUT /v1/txn with KV operations given without the {KV: …} wrapper. */
export function txn(
  t: Target,
  ops: Array<Record<string, unknown>>,
  query?: CallOptions['query'],
): Promise<Res> {
  return call(t, 'PUT', '/v1/txn', {
    body: JSON.stringify(ops.map((KV) => ({ KV }))),
    ...(query ? { query } : {}),
  });
}

/** Creates a session (destroyed at close against a real Consul) and returns its ID. */
export async function createSession(t: Target, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call(t, 'PUT', '/v1/session/create', { body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`session create: ${res.status} ${res.text}`);
  const { ID } = res.json<{ ID: string }>();
  t.sessions.push(ID);
  return ID;
}

/**
 * The target of one test file, opened before its tests and closed after them, and `k(name)`: a fresh key
 * under the run's prefix for each call, so tests running concurrently never share keys.
 */
export function useTarget(): { t: Target; k: (name: string) => string } {
  let real: Target | undefined;
  let n = 0;
  beforeAll(async () => {
    real = await openTarget();
  });
  afterAll(async () => {
    await real?.close();
  });
  const t = new Proxy({} as Target, {
    get: (_target, prop) => {
      if (!real) throw new Error('the Consul target is opened in beforeAll; use it inside tests');
      return Reflect.get(real, prop);
    },
  });
  return { t, k: (name) => `${t.prefix}${++n}/${name}` };
}
