import { hostname } from 'node:os';
import { parseDuration } from '../../config/duration.ts';
import { formatError } from '../../config/errors.ts';
import type { ConsulProviderConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { ConsulKvClient } from '../../providers/consul/kv-client.ts';
import type { AcmeStorage, ChallengeType, Release, StoredAccount, StoredCertificate } from './storage.ts';

/** Where a Consul storage lives: the agents, how to reach them, its KV root and the order lock's TTL. */
export interface ConsulStorageTarget {
  readonly client: Pick<ConsulProviderConfig, 'endpoints' | 'token' | 'tls' | 'namespace'>;
  readonly rootKey: string;
  readonly lockTtlMs: number;
}

/** Consul's shortest session TTL: a replica that dies mid-order frees its domains within about this long. */
const DEFAULT_LOCK_TTL_MS = 10_000;
/** The folder under the Consul provider's root key that holds ACME data (the provider skips it). */
export const ACME_FOLDER = 'acme';

/**
 * Reads `storage`: undefined for a local file; the Consul target for `consul` (the providers.consul agents,
 * root `<providers.consul.rootKey>/acme`, a folder the Consul provider does not read as routing
 * configuration) or `consul://host:port/<rootKey>?lockTTL=10s`; or a problem.
 */
export function consulStorageTarget(
  storage: string,
  consul: ConsulProviderConfig | undefined,
): ConsulStorageTarget | string | undefined {
  const base = consul
    ? { endpoints: consul.endpoints, token: consul.token, tls: consul.tls, namespace: consul.namespace }
    : undefined;
  if (storage === 'consul') {
    if (!base)
      return 'needs providers.consul (its endpoints, token and TLS settings are used), or write consul://host:port/<rootKey>';
    return {
      client: base,
      rootKey: `${consul?.rootKey.replace(/\/+$/, '') ?? 'wharf'}/${ACME_FOLDER}`,
      lockTtlMs: DEFAULT_LOCK_TTL_MS,
    };
  }
  if (!/^consul:\/\//i.test(storage)) return undefined;
  let url: URL;
  try {
    url = new URL(storage.replace(/^consul:/i, 'http:'));
  } catch {
    return 'is not a consul://host:port/<rootKey> address';
  }
  const ttl = url.searchParams.get('lockTTL');
  const lockTtlMs = ttl === null ? DEFAULT_LOCK_TTL_MS : parseDuration(ttl);
  if (lockTtlMs === undefined || lockTtlMs < 1_000) return `lockTTL "${ttl}" is not a duration of 1s or more`;
  const rootKey = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || `wharf/${ACME_FOLDER}`;
  return { client: { ...(base ?? { endpoints: [] }), endpoints: [url.host] }, rootKey, lockTtlMs };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * A resolver's storage in Consul KV, shared by every router replica:
 *
 *   <root>/<resolver>/account                     the account (JSON: email, url, keyPem), created once
 *   <root>/<resolver>/certificates/<main>         one key per certificate (JSON: domain, certificate, key)
 *   <root>/<resolver>/challenges/http-01/<token>  pending HTTP-01 key authorizations
 *   <root>/<resolver>/challenges/tls-alpn-01/<n>  pending TLS-ALPN-01 certificates (JSON: cert, key)
 *   <root>/<resolver>/locks/<main>                held by the session of the replica ordering <main>
 *
 * A lock is a session with a TTL and `release` behaviour, renewed while the order runs: a replica that dies
 * mid-order stops renewing, Consul releases the lock after the TTL, and another replica takes the order
 * over. One key per certificate keeps each value far below Consul's 512 KB limit (Traefik v1 kept them all
 * in one key and hit it at about 100 certificates).
 */
export class ConsulStorage implements AcmeStorage {
  readonly description: string;
  readonly #client: ConsulKvClient;
  readonly #prefix: string;
  readonly #lockTtlMs: number;
  /** Challenges this replica published: answered without a round trip. */
  readonly #own = new Map<string, string>();
  readonly #resolver: string;
  readonly #logger: Logger;

  constructor(target: ConsulStorageTarget, resolver: string, logger: Logger) {
    this.#client = new ConsulKvClient(target.client, 'certificatesResolvers.storage');
    this.#prefix = `${target.rootKey.replace(/\/+$/, '')}/${resolver}/`;
    this.#lockTtlMs = target.lockTtlMs;
    this.#resolver = resolver;
    this.#logger = logger;
    this.description = `consul ${this.#client.endpoint} ${this.#prefix}`;
  }

  /** Logs a failed session call of the order lock; the session's TTL bounds the harm, so it is a warning. */
  #sessionFailed(what: string, name: string, session: string, err: unknown): void {
    const problem = `${what} the order-lock session of ${name} failed (${(err as Error)?.message ?? String(err)}); Consul ends it after its TTL (${Math.ceil(this.#lockTtlMs / 1000)}s)`;
    this.#logger.warn(
      { code: 'ACME_STORAGE_FAILED', resolver: this.#resolver, domain: name, session },
      formatError('ACME_STORAGE_FAILED', { resolver: this.#resolver, storage: this.description, problem }),
    );
  }

  async #get(key: string): Promise<string | undefined> {
    const full = this.#prefix + key;
    return (await this.#client.list(full)).entries.find((e) => e.key === full)?.value;
  }

  async load(): Promise<{ account: StoredAccount | undefined; certificates: StoredCertificate[] }> {
    const all = (await this.#client.list(this.#prefix)).entries;
    const account = all.find((e) => e.key === `${this.#prefix}account`);
    return {
      account: account ? (JSON.parse(account.value) as StoredAccount) : undefined,
      certificates: this.#certificatesOf(all),
    };
  }

  #certificatesOf(entries: ReadonlyArray<{ key: string; value: string }>): StoredCertificate[] {
    const prefix = `${this.#prefix}certificates/`;
    return entries
      .filter((e) => e.key.startsWith(prefix) && e.value !== '')
      .map((e) => JSON.parse(e.value) as StoredCertificate);
  }

  async saveAccount(account: StoredAccount): Promise<StoredAccount> {
    const key = `${this.#prefix}account`;
    const res = await this.#client.txn([
      { KV: { Verb: 'cas', Key: key, Index: 0, Value: b64(JSON.stringify(account)) } },
    ]);
    if (res.ok) return account;
    // Another replica registered first: everyone uses that account.
    const stored = await this.#get('account');
    if (stored === undefined) throw new Error(`could not store the account at ${key}`);
    return JSON.parse(stored) as StoredAccount;
  }

  async saveCertificate(c: StoredCertificate): Promise<void> {
    const value = JSON.stringify({ domain: c.domain, certificate: c.certificate, key: c.key });
    await this.#must([
      { KV: { Verb: 'set', Key: `${this.#prefix}certificates/${c.domain.main}`, Value: b64(value) } },
    ]);
  }

  async getCertificate(main: string): Promise<StoredCertificate | undefined> {
    const value = await this.#get(`certificates/${main}`);
    return value ? (JSON.parse(value) as StoredCertificate) : undefined;
  }

  async putChallenge(type: ChallengeType, id: string, value: string): Promise<void> {
    this.#own.set(`${type}/${id}`, value);
    await this.#must([
      { KV: { Verb: 'set', Key: `${this.#prefix}challenges/${type}/${id}`, Value: b64(value) } },
    ]);
  }

  async removeChallenge(type: ChallengeType, id: string): Promise<void> {
    this.#own.delete(`${type}/${id}`);
    await this.#must([{ KV: { Verb: 'delete', Key: `${this.#prefix}challenges/${type}/${id}` } }]);
  }

  async getChallenge(type: ChallengeType, id: string): Promise<string | undefined> {
    return this.#own.get(`${type}/${id}`) ?? (await this.#get(`challenges/${type}/${id}`));
  }

  async tryLock(name: string): Promise<Release | undefined> {
    const ttl = `${Math.ceil(this.#lockTtlMs / 1000)}s`;
    const session = await this.#client.createSession({
      Name: `wharf acme ${name}`,
      TTL: ttl,
      Behavior: 'release',
      LockDelay: '0s',
      NodeChecks: [],
    });
    const value = b64(JSON.stringify({ by: hostname(), pid: process.pid, since: new Date().toISOString() }));
    const res = await this.#client
      .txn([{ KV: { Verb: 'lock', Key: `${this.#prefix}locks/${name}`, Value: value, Session: session } }])
      .catch(async (err: unknown) => {
        await this.#client
          .destroySession(session)
          .catch((e: unknown) => this.#sessionFailed('destroying', name, session, e));
        throw err;
      });
    if (!res.ok) {
      await this.#client
        .destroySession(session)
        .catch((e: unknown) => this.#sessionFailed('destroying', name, session, e));
      return undefined;
    }
    // A renewal that fails is retried at the next tick; if they keep failing, the lock lapses after the TTL
    // and another replica may order the same domain (one extra order, never a wrong certificate).
    const renew = setInterval(() => {
      this.#client
        .renewSession(session)
        .catch((e: unknown) => this.#sessionFailed('renewing', name, session, e));
    }, this.#lockTtlMs / 2);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await this.#client.destroySession(session);
    };
  }

  watch(
    onCertificates: (certificates: StoredCertificate[]) => void,
    signal: AbortSignal,
    onError: (err: unknown) => void,
  ): void {
    const prefix = `${this.#prefix}certificates/`;
    const loop = async () => {
      let index = 0;
      let failures = 0;
      while (!signal.aborted) {
        try {
          const res = await this.#client.list(prefix, { index, waitMs: 30_000, signal });
          failures = 0;
          if (res.index !== index) onCertificates(this.#certificatesOf(res.entries));
          index = res.index < index ? 0 : res.index;
        } catch (err) {
          if (signal.aborted) return;
          failures++;
          onError(err);
          await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** failures)).unref());
        }
      }
    };
    loop().catch(onError);
  }

  async #must(ops: ReadonlyArray<{ KV: Record<string, unknown> }>): Promise<void> {
    const res = await this.#client.txn(ops);
    if (!res.ok) throw new Error(`Consul transaction failed: ${res.errors.map((e) => e.What).join('; ')}`);
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
