import type { ConsulProviderConfig } from '../../config/static.ts';
import { Agent, request } from '../../core/http-client.ts';
import { readTlsFiles } from '../tls-files.ts';

/** One KV entry as Consul returns it, with the value decoded to text. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly modifyIndex: number;
  /** The session holding the key's lock, if any. */
  readonly session?: string;
}

/** The result of a (blocking) recursive read. */
export interface KvList {
  readonly entries: KvEntry[];
  /** X-Consul-Index of the answer (never 0: a missing header or 0 reads as 1, as Consul advises). */
  readonly index: number;
  /** X-Consul-LastContact: ms since the answering server last heard from the leader (0 when absent). */
  readonly lastContactMs: number;
}

interface RawEntry {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
  Session?: string;
}

/** Base URL of an endpoint: `host:port` means https when TLS is configured, else http. */
export function endpointUrl(endpoint: string, tls = false): string {
  const e = endpoint.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(e) ? e : `${tls ? 'https' : 'http'}://${e}`;
}

/**
 * A typed Consul client for what Wharf needs: recursive KV reads with blocking-query `index` and `wait`
 * (consistent or stale), transactions, and sessions; the ACL token in X-Consul-Token, TLS from files, and
 * failover across endpoints (a network error, 5xx or 429 moves to the next one). Built on undici rather
 * than the `consul` package, whose `kv.get` hides X-Consul-Index, whose txn typings do not match its
 * runtime, and whose watch has no rate limit.
 */
export class ConsulKvClient {
  private readonly endpoints: readonly string[];
  private current = 0;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Agent;
  private readonly consistency: 'consistent' | 'stale';
  private readonly namespace: string | undefined;

  constructor(
    config: Pick<ConsulProviderConfig, 'endpoints' | 'token' | 'tls'> &
      Partial<Pick<ConsulProviderConfig, 'namespace' | 'stale'>>,
    /** The configuration key of the TLS files, for error messages. */
    tlsKey = 'providers.consul.tls',
  ) {
    this.endpoints = config.endpoints.map((e) => endpointUrl(e, config.tls !== undefined));
    this.headers = config.token ? { 'x-consul-token': config.token } : {};
    this.consistency = config.stale ? 'stale' : 'consistent';
    this.namespace = config.namespace;
    const tls = config.tls;
    const files = readTlsFiles(tlsKey, tls);
    this.dispatcher = new Agent({
      connect: tls ? { ...files, rejectUnauthorized: !tls.insecureSkipVerify } : {},
      keepAliveTimeout: 30_000,
    });
  }

  /** The endpoint in use. */
  get endpoint(): string {
    return this.endpoints[this.current] as string;
  }

  /**
   * Reads every key under `prefix` (recursive GET). With `index`, a blocking query that returns when the
   * prefix changes past it or after `waitMs` (plus Consul's jitter of up to wait/16). A missing prefix is an
   * empty list, not an error.
   */
  async list(
    prefix: string,
    opts: { index?: number; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<KvList> {
    const q = new URLSearchParams({ recurse: 'true' });
    q.set(this.consistency, '');
    const blocking = opts.index !== undefined && opts.index > 0;
    const waitMs = opts.waitMs ?? 30_000;
    if (blocking) {
      q.set('index', String(opts.index));
      q.set('wait', `${Math.ceil(waitMs / 1000)}s`);
    }
    // The client must outwait the server: wait + wait/16 (jitter) + a margin.
    const timeout = blocking ? waitMs + Math.ceil(waitMs / 16) + 5_000 : 10_000;
    const path = `/v1/kv/${encodeURIComponent(prefix).replace(/%2F/gi, '/')}`;
    const res = await this.send('GET', path, q, { timeout, signal: opts.signal, accept: [200, 404] });
    const index = Math.max(1, Number(res.headers['x-consul-index'] ?? 1) || 1);
    const lastContactMs = Number(res.headers['x-consul-lastcontact'] ?? 0) || 0;
    if (res.statusCode === 404) return { entries: [], index, lastContactMs };
    const raw = JSON.parse(res.text) as RawEntry[];
    const entries = raw.map((e) => ({
      key: e.Key,
      value: e.Value === null ? '' : Buffer.from(e.Value, 'base64').toString('utf8'),
      modifyIndex: e.ModifyIndex,
      ...(e.Session ? { session: e.Session } : {}),
    }));
    return { entries, index, lastContactMs };
  }

  /**
   * Runs a transaction (`PUT /v1/txn`, operations already in Consul's JSON). All operations apply at one
   * index or none does: a rollback (409) is an answer, `{ ok: false, errors }`, not an exception.
   */
  async txn(
    ops: ReadonlyArray<{ KV: Record<string, unknown> }>,
    signal?: AbortSignal,
  ): Promise<{ ok: true; index: number } | { ok: false; errors: Array<{ OpIndex: number; What: string }> }> {
    const res = await this.send('PUT', '/v1/txn', new URLSearchParams(), {
      body: JSON.stringify(ops),
      signal,
      accept: [200, 409],
    });
    if (res.statusCode === 409) {
      const body = JSON.parse(res.text) as { Errors?: Array<{ OpIndex: number; What: string }> | null };
      return { ok: false, errors: body.Errors ?? [] };
    }
    return { ok: true, index: Number(res.headers['x-consul-index'] ?? 0) || 0 };
  }

  /** Creates a session (`PUT /v1/session/create`) and returns its ID. */
  async createSession(
    body: {
      Name: string;
      TTL: string;
      Behavior: 'release' | 'delete';
      LockDelay: string;
      NodeChecks: string[];
    },
    signal?: AbortSignal,
  ): Promise<string> {
    const res = await this.send('PUT', '/v1/session/create', new URLSearchParams(), {
      body: JSON.stringify(body),
      signal,
      accept: [200],
    });
    return (JSON.parse(res.text) as { ID: string }).ID;
  }

  /** Renews a session; false when Consul no longer knows it (expired or destroyed). */
  async renewSession(id: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.send('PUT', `/v1/session/renew/${encodeURIComponent(id)}`, new URLSearchParams(), {
      signal,
      accept: [200, 404],
    });
    return res.statusCode === 200;
  }

  /** Destroys a session (idempotent). */
  async destroySession(id: string, signal?: AbortSignal): Promise<void> {
    await this.send('PUT', `/v1/session/destroy/${encodeURIComponent(id)}`, new URLSearchParams(), {
      signal,
      accept: [200],
    });
  }

  /**
   * One request to the current endpoint. A network error, a server error or a rate limit moves on to the
   * next endpoint for the following request; a status outside `accept` is an error naming the request.
   */
  private async send(
    method: 'GET' | 'PUT',
    path: string,
    query: URLSearchParams,
    opts: { body?: string; timeout?: number; signal?: AbortSignal | undefined; accept: number[] },
  ): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    if (this.namespace) query.set('ns', this.namespace);
    const qs = query.toString().replace(/=(&|$)/g, '$1');
    const target = qs === '' ? path : `${path}?${qs}`;
    const base = this.endpoint;
    const timeout = opts.timeout ?? 10_000;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(base + target, {
        method,
        headers: this.headers,
        dispatcher: this.dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: opts.signal,
        ...(opts.body !== undefined && { body: opts.body }),
      });
    } catch (err) {
      this.failover();
      throw new Error(`${base}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.body.text();
    if (!opts.accept.includes(res.statusCode)) {
      if (res.statusCode >= 500 || res.statusCode === 429) this.failover();
      const hint = res.statusCode === 403 ? ' (check the Consul ACL token)' : '';
      throw new Error(
        `${base}: ${method} ${target} answered ${res.statusCode}: ${text.trim().slice(0, 200)}${hint}`,
      );
    }
    return { statusCode: res.statusCode, headers: res.headers, text };
  }

  private failover(): void {
    if (this.endpoints.length > 1) this.current = (this.current + 1) % this.endpoints.length;
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
