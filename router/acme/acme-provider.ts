import type { Provider, Snapshot } from '../../providers/provider.ts';
import type { LoadedCertificate } from '../tls/certificates.ts';

/** The provider name of a resolver's certificates, as Traefik names it: `le.acme` for resolver `le`. */
export const acmeProviderName = (resolver: string) => `${resolver}.acme`;

/**
 * A resolver's certificates as a provider's snapshot: a dynamic configuration with only
 * `tls.certificates`, each the PEM text itself (as Traefik's ACME provider gives them), in the default store.
 */
export function acmeSnapshot(provider: string, certificates: readonly LoadedCertificate[]): Snapshot {
  return {
    provider,
    config: {
      tls: {
        certificates: certificates.map((c) => ({ certFile: c.cert, keyFile: c.key, stores: ['default'] })),
      },
    },
    diagnostics: [],
  };
}

/** What the provider needs from a resolver: its name, its certificates, and word of each change. */
export interface CertificateSource {
  readonly name: string;
  certificates(): readonly LoadedCertificate[];
  /** Calls `listener` after each change of `certificates()`; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/**
 * One certificate resolver as a provider: its certificates reach the routing table as snapshots, through
 * the watcher (throttle, unchanged-snapshot skip, merge, compile, swap) like every other provider's.
 * It lives in router/acme/ rather than providers/ because the resolver it reads orders for the domains of
 * the router's compiled table and answers challenges on the router's entryPoints; only the router wires it.
 *
 * Lifecycle (the Provider one):
 * 1. `watch(signal)` yields the resolver's certificates at once (those loaded from storage at start).
 * 2. After each change (a certificate obtained, renewed, or written by another replica) it yields the whole
 *    set again; changes that come while the watcher is busy collapse into one snapshot of the latest set.
 * 3. Aborting `signal` ends the iterator and drops the subscription.
 */
export class AcmeProvider implements Provider {
  readonly name: string;
  readonly #source: CertificateSource;

  constructor(source: CertificateSource) {
    this.#source = source;
    this.name = acmeProviderName(source.name);
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    let changed = true;
    let wake: (() => void) | undefined;
    const unsubscribe = this.#source.subscribe(() => {
      changed = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        if (changed) {
          changed = false;
          yield acmeSnapshot(this.name, this.#source.certificates());
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
