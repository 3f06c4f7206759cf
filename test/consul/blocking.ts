// Blocking queries, modelled on Consul's agent/blockingquery.Query: a request with ?index=N>0 returns as soon
// as the query's index exceeds N, else waits for a state change that raises it, or for the timeout
// (wait clamped to the server maximum, default when absent or <= 0, plus up to wait/16 random jitter).
import type { QueryOptions, Reply } from './http-util.ts';
import type { Store } from './store.ts';

/** One run of a query: its index, whether it found nothing (Consul's ErrNotFound), and the answer to send. */
export interface QueryRun {
  index: number;
  notFound?: boolean;
  reply: Reply;
}

/** Schedules a blocking query's timeout; returns a cancel. Real timers by default, a test's own clock else. */
export interface WaitTimers {
  set(fire: () => void, ms: number): () => void;
}

/** Blocking-query timeouts on real timers. */
export const realWaitTimers: WaitTimers = {
  set(fire, ms) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/** What a blocking query needs from the server. */
export interface BlockingEnv {
  readonly store: Store;
  readonly defaultWaitMs: number;
  readonly maxWaitMs: number;
  readonly waitTimers: WaitTimers;
  readonly stats: { blockingRequests: number; waiting: number };
  /** Pending queries, so close() can answer them. */
  readonly pending: Set<() => void>;
}

/** The timeout Consul uses for a wait: clamped to max, default when <= 0, plus RandomStagger(timeout / 16). */
export function queryTimeoutMs(env: BlockingEnv, waitMs: number): number {
  let timeout = waitMs;
  if (timeout > env.maxWaitMs) timeout = env.maxWaitMs;
  else if (timeout <= 0) timeout = env.defaultWaitMs;
  return timeout + Math.random() * (timeout / 16);
}

/** Runs `query` once (no index) or as a blocking query that ends on a raised index, the timeout, or `onClose`. */
export function runQuery(
  env: BlockingEnv,
  opts: QueryOptions,
  onClose: (cb: () => void) => void,
  query: () => QueryRun,
): Reply | Promise<Reply> {
  const first = query();
  if (opts.minIndex === 0) return first.reply;
  env.stats.blockingRequests++;
  let minIndex = opts.minIndex;
  let notFound = false;
  // The same bookkeeping as blockingquery.Query: a query that keeps finding nothing raises its own minimum,
  // so unrelated writes that move the table index do not end the wait.
  const judge = (run: QueryRun): boolean => {
    if (run.notFound) {
      if (notFound) minIndex = run.index;
      notFound = true;
    }
    return run.index > minIndex;
  };
  if (judge(first)) return first.reply;
  let last = first;
  return new Promise<Reply>((resolve, reject) => {
    let done = false;
    let cancelTimeout = (): void => {};
    let unsubscribe = (): void => {};
    const finish = (reply: Reply, error?: unknown): void => {
      if (done) return;
      done = true;
      cancelTimeout();
      unsubscribe();
      env.pending.delete(release);
      env.stats.waiting--;
      if (error !== undefined) reject(error);
      else resolve(reply);
    };
    const release = (): void => finish(last.reply);
    unsubscribe = env.store.subscribe((abandoned) => {
      // A restored snapshot abandons the state store: Consul returns the result it already had.
      if (abandoned) return finish(last.reply);
      try {
        const run = query();
        last = run;
        if (judge(run)) finish(run.reply);
      } catch (error) {
        finish(last.reply, error);
      }
    });
    cancelTimeout = env.waitTimers.set(release, queryTimeoutMs(env, opts.waitMs));
    env.pending.add(release);
    env.stats.waiting++;
    // A client that went away gets nothing; resolving just ends the bookkeeping.
    onClose(release);
  });
}
