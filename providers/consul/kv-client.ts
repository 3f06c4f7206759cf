import { Agent, request } from 'undici';
import type { ConsulProviderConfig } from '../../config/static.ts';
import { readTlsFiles } from '../tls-files.ts';

/** One KV entry as Consul returns it, with the value decoded to text. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly modifyIndex: number;
}

/** The result of a (blocking) recursive read. */
export interface KvList {
  readonly entries: KvEntry[];
  /** X-Consul-Index of the answer (never 0: a missing header or 0 reads as 1, as Consul advises). */
  readonly index: number;
}

interface RawEntry {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
}

/** Base URL of an endpoint: `host:port` means https when TLS is configured, else http. */
export function endpointUrl(endpoint: string, tls = false): string {
  const e = endpoint.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(e) ? e : `${tls ? 'https' : 'http'}://${e}`;
}

/**
 * A typed Consul KV client for reads (the provider's needs): recursive GETs with blocking-query `index`
 * and `wait`, consistent or stale, the ACL token in X-Consul-Token, TLS from files, and failover across
 * endpoints (a network error moves to the next one). Built on undici rather than the `consul` package,
 * whose `kv.get` hides X-Consul-Index and whose watch has no rate limit.
 */
export class ConsulKvClient {
  private readonly endpoints: readonly string[];
  private current = 0;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Agent;
  private readonly consistency: 'consistent' | 'stale';
  private readonly namespace: string | undefined;

  constructor(config: Pick<ConsulProviderConfig, 'endpoints' | 'token' | 'namespace' | 'tls' | 'stale'>) {
    this.endpoints = config.endpoints.map((e) => endpointUrl(e, config.tls !== undefined));
    this.headers = config.token ? { 'x-consul-token': config.token } : {};
    this.consistency = config.stale ? 'stale' : 'consistent';
    this.namespace = config.namespace;
    const tls = config.tls;
    const files = readTlsFiles('providers.consul.tls', tls);
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
    if (this.namespace) q.set('ns', this.namespace);
    const blocking = opts.index !== undefined && opts.index > 0;
    const waitMs = opts.waitMs ?? 30_000;
    if (blocking) {
      q.set('index', String(opts.index));
      q.set('wait', `${Math.ceil(waitMs / 1000)}s`);
    }
    // The client must outwait the server: wait + wait/16 (jitter) + a margin.
    const timeout = blocking ? waitMs + Math.ceil(waitMs / 16) + 5_000 : 10_000;
    const path = `/v1/kv/${encodeURIComponent(prefix).replace(/%2F/gi, '/')}?${q.toString().replace(/=(&|$)/g, '$1')}`;
    const base = this.endpoint;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(base + path, {
        headers: this.headers,
        dispatcher: this.dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: opts.signal,
      });
    } catch (err) {
      if (this.endpoints.length > 1) this.current = (this.current + 1) % this.endpoints.length;
      throw new Error(`${base}: ${(err as Error).message}`, { cause: err });
    }
    const index = Math.max(1, Number(res.headers['x-consul-index'] ?? 1) || 1);
    if (res.statusCode === 404) {
      await res.body.dump();
      return { entries: [], index };
    }
    if (res.statusCode !== 200) {
      // A server error or rate limit on one agent hands over to the next, as a transport error does.
      if ((res.statusCode >= 500 || res.statusCode === 429) && this.endpoints.length > 1) {
        this.current = (this.current + 1) % this.endpoints.length;
      }
      const text = (await res.body.text()).trim().slice(0, 200);
      const hint = res.statusCode === 403 ? ' (check providers.consul.token)' : '';
      throw new Error(`${base}: GET ${path} answered ${res.statusCode}: ${text}${hint}`);
    }
    const raw = (await res.body.json()) as RawEntry[];
    const entries = raw.map((e) => ({
      key: e.Key,
      value: e.Value === null ? '' : Buffer.from(e.Value, 'base64').toString('utf8'),
      modifyIndex: e.ModifyIndex,
    }));
    return { entries, index };
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
