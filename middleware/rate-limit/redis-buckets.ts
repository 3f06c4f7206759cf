import { createHash } from 'node:crypto';
import { createClient, createCluster } from '@redis/client';
import type { Logger } from '../../core/log.ts';
import type { RedisPlan } from './redis-options.ts';
import {
  type BucketDecision,
  parseBucketReply,
  redisBucketKey,
  TOKEN_BUCKET_SCRIPT,
  tokenBucketArguments,
} from './redis-token-bucket.ts';

const SCRIPT_SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');
// A cluster that none of its seed nodes answered is tried again after this long (a single server's client
// reconnects by itself).
const CLUSTER_RETRY_MS = 1000;

/** What a rateLimit needs from Redis: one atomic check per request. */
export interface RedisBucketsOptions {
  readonly plan: RedisPlan;
  /** The qualified middleware name: part of every key, as in Traefik. */
  readonly middleware: string;
  readonly rate: number;
  readonly burst: number;
  readonly maxDelayNs: number;
  readonly logger: Logger;
  /** Fields on the state-change log lines (middleware, router). */
  readonly logFields: Record<string, unknown>;
}

type Send = (key: string, args: string[]) => Promise<unknown>;

// The few members of node-redis's clients used here (its generic types are far wider than needed).
interface CommandLimit {
  timeout?: number;
  rejectInFlight?: boolean;
}
interface Connectable {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  readonly isOpen: boolean;
}
interface SingleClient extends Connectable {
  sendCommand(args: string[], options: CommandLimit): Promise<unknown>;
}
interface ClusterClient extends Connectable {
  sendCommand(key: string, readonly: boolean, args: string[], options: CommandLimit): Promise<unknown>;
}

/**
 * Token buckets in Redis, shared by every replica that names the same middleware: each check is one
 * EVALSHA of the bucket script (EVAL once when Redis does not know it yet, e.g. after a restart).
 *
 * Availability: commands are never queued while Redis is unreachable (they fail at once), and a sent
 * check fails after the plan's command limit, so a dead Redis costs a request at most that long. The
 * first checks after creation wait for the first connection, at most the dial timeout. Whether Redis is
 * reachable is logged once per change (an error when it goes, an info line when it is back), never per
 * request.
 */
export class RedisBuckets {
  readonly #options: RedisBucketsOptions;
  readonly #args: [string, string, string];
  readonly #send: Send;
  readonly #close: () => Promise<void>;
  #up: boolean | undefined;
  #connecting: Promise<void> | undefined;
  #settleFirst: (() => void) | undefined;
  #closed = false;

  constructor(options: RedisBucketsOptions) {
    this.#options = options;
    this.#args = tokenBucketArguments(options.rate, options.burst, options.maxDelayNs);
    const { plan } = options;
    const node = nodeOptions(plan);
    const limit: CommandLimit =
      plan.commandMs === undefined ? {} : { timeout: plan.commandMs, rejectInFlight: true };
    if (plan.mode === 'single') {
      const address = plan.addresses[0] as { host: string; port: number };
      const client = createClient({
        ...node,
        socket: { ...node.socket, host: address.host, port: address.port },
        database: plan.database,
      }) as unknown as SingleClient;
      client.on('error', (err: Error) => this.#down(err));
      client.on('ready', () => this.#markUp());
      this.#send = (_key, args) => client.sendCommand(args, limit);
      this.#close = () => client.close();
      this.#connecting = this.#firstConnection(client.connect().then(() => undefined));
    } else {
      const cluster = createCluster({
        rootNodes: plan.addresses.map((a) => ({ socket: { host: a.host, port: a.port } })),
        defaults: node,
      }) as unknown as ClusterClient;
      // A seed node that does not answer is not an outage while another one does: the cluster's state
      // comes from connecting and from the checks, not from its nodes' error events.
      cluster.on('error', (err: Error) =>
        options.logger.debug(
          { ...options.logFields, err: err.message },
          'rateLimit: a Redis Cluster node failed',
        ),
      );
      this.#send = (key, args) => cluster.sendCommand(key, false, args, limit);
      this.#close = () => (cluster.isOpen ? cluster.close() : Promise.resolve());
      this.#connecting = this.#firstConnection(this.#connectCluster(cluster));
    }
  }

  /**
   * Takes a token for `source`; resolves with the decision, rejects when Redis cannot answer (then the
   * caller fails the request, as Traefik does).
   */
  async take(source: string): Promise<BucketDecision> {
    if (this.#connecting !== undefined) await this.#connecting;
    const key = redisBucketKey(this.#options.middleware, source);
    try {
      let reply: unknown;
      try {
        reply = await this.#send(key, ['EVALSHA', SCRIPT_SHA, '1', key, ...this.#args]);
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        reply = await this.#send(key, ['EVAL', TOKEN_BUCKET_SCRIPT, '1', key, ...this.#args]);
      }
      const decision = parseBucketReply(reply);
      this.#markUp();
      return decision;
    } catch (err) {
      this.#down(err as Error);
      throw err;
    }
  }

  /** Closes the connections; checks still waiting fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#close().catch((err: unknown) => {
      this.#options.logger.debug(
        { ...this.#options.logFields, err },
        'rateLimit: closing the Redis client failed',
      );
    });
  }

  /**
   * Settles at the first outcome of the first connection: connected, failed (a refused connection or a
   * rejected password fails at once), or the dial timeout; never rejects. Checks wait for it so that the
   * requests right after a (re)load are not refused while the connection is being made.
   */
  #firstConnection(connected: Promise<void>): Promise<void> {
    const { plan } = this.#options;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, plan.dialMs);
      timer.unref();
      this.#settleFirst = () => {
        clearTimeout(timer);
        resolve();
      };
      connected.then(this.#settleFirst, (err: unknown) => {
        if (!this.#closed) this.#down(err as Error);
        this.#settleFirst?.();
      });
    }).then(() => {
      this.#connecting = undefined;
      this.#settleFirst = undefined;
    });
  }

  /** Connects a cluster client, trying again while none of the seed nodes answers (until closed). */
  async #connectCluster(cluster: ClusterClient): Promise<void> {
    for (;;) {
      try {
        await cluster.connect();
        this.#markUp();
        return;
      } catch (err) {
        if (this.#closed) return;
        this.#down(err as Error);
        await new Promise((r) => setTimeout(r, CLUSTER_RETRY_MS).unref());
        if (this.#closed) return;
      }
    }
  }

  #markUp(): void {
    if (this.#up === false) {
      this.#options.logger.info(
        this.#options.logFields,
        'rateLimit: Redis is reachable again, limiting resumes',
      );
    }
    this.#up = true;
  }

  #down(err: Error): void {
    this.#settleFirst?.();
    if (this.#up === false || this.#closed) return;
    this.#up = false;
    this.#options.logger.error(
      { ...this.#options.logFields, err: err.message },
      'rateLimit: Redis is unreachable, requests through this rateLimit are answered 500 until it is back',
    );
  }
}

/** Options every connection gets: credentials, TLS, timeouts, no offline queue. */
function nodeOptions(plan: RedisPlan) {
  return {
    ...(plan.username !== undefined && { username: plan.username }),
    ...(plan.password !== undefined && { password: plan.password }),
    socket: {
      connectTimeout: plan.dialMs,
      ...(plan.tls !== undefined && { tls: true as const, ...plan.tls }),
    },
    // Fail at once while disconnected instead of queueing requests behind a dead server.
    disableOfflineQueue: true,
  };
}
