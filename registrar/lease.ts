import { hostname } from 'node:os';
import type { HostKeys } from '../core/registrar-document.ts';
import { stableStringify } from '../core/stable-stringify.ts';
import type { ConsulKvClient, KvEntry } from '../providers/consul/kv-client.ts';

// The host's lease: one Consul session per Docker host, shared by every registrar of that host.
//
// - The session has Behavior=delete, a TTL and no node checks, so it lives exactly as long as some
//   registrar of the host renews it. Every document of the host is locked by it: when the host's last
//   registrar stops for good, Consul deletes them all at once, within the TTL (Consul may take up to twice
//   the TTL to reap).
// - Its ID is published at `<host>/lease` (a key the session also locks). A registrar that starts while the
//   session is alive renews and adopts it, so a restart within the TTL changes nothing a router reads.
// - LockDelay is 0: the documents are deleted with the session anyway, and a registrar that starts after an
//   expiry must be able to publish at once.

/** How the lease was obtained: `adopted` an existing live session, or `created` a new one. */
export interface Lease {
  readonly session: string;
  readonly how: 'adopted' | 'created';
}

/** The lease key's entry in a read of the host prefix. */
export function leaseEntry(entries: readonly KvEntry[], keys: HostKeys): KvEntry | undefined {
  return entries.find((e) => e.key === keys.lease);
}

/**
 * Adopts the host's live session or creates one and publishes it at the lease key, guarded so that two
 * registrars starting together end up sharing one session. Throws on Consul errors (the caller retries).
 */
export async function acquireLease(
  client: ConsulKvClient,
  keys: HostKeys,
  host: string,
  ttlMs: number,
  signal: AbortSignal,
  /** Told when a session that lost the race cannot be destroyed (it holds nothing and expires after ttl). */
  onCleanupError: (err: unknown, session: string) => void,
): Promise<Lease> {
  for (let round = 0; ; round++) {
    if (signal.aborted) throw new Error('aborted');
    const read = await client.list(keys.lease, { signal });
    const entry = leaseEntry(read.entries, keys);
    if (entry?.session !== undefined && (await client.renewSession(entry.session, signal)))
      return { session: entry.session, how: 'adopted' };
    const session = await client.createSession(
      {
        Name: `wharf-registrar ${host}`,
        TTL: `${Math.round(ttlMs / 1000)}s`,
        Behavior: 'delete',
        LockDelay: '0s',
        NodeChecks: [],
      },
      signal,
    );
    const value = stableStringify({ host, ttl: `${Math.round(ttlMs / 1000)}s`, by: hostname() });
    const guard = entry
      ? { KV: { Verb: 'check-index', Key: keys.lease, Index: entry.modifyIndex } }
      : { KV: { Verb: 'check-not-exists', Key: keys.lease } };
    const lock = {
      KV: { Verb: 'lock', Key: keys.lease, Value: Buffer.from(value).toString('base64'), Session: session },
    };
    const res = await client.txn([guard, lock], signal);
    if (res.ok) return { session, how: 'created' };
    // Another registrar of this host published its session first: use that one.
    await client.destroySession(session, signal).catch((err: unknown) => onCleanupError(err, session));
    if (round >= 5)
      throw new Error(`could not take the lease ${keys.lease}: ${res.errors.map((e) => e.What).join('; ')}`);
  }
}
