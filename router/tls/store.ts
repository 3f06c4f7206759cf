import type { LoadedCertificate } from './certificates.ts';

/**
 * The certificates one generation serves (Traefik's `default` store), indexed by name. A server name is
 * matched exactly first, then against one-label wildcards (`*.example.com` serves `a.example.com`, not
 * `a.b.example.com` nor `example.com`). When several certificates serve a name, the first in configuration
 * order wins (providers in name order, then their list order): deterministic, where Traefik's choice
 * depends on map order.
 */
export class CertificateStore {
  /** The certificate for names nothing else serves (and for clients that send no SNI). */
  readonly defaultCertificate: LoadedCertificate | undefined;
  /** Every certificate, in configuration order. */
  readonly certificates: readonly LoadedCertificate[];
  readonly #exact = new Map<string, LoadedCertificate>();
  readonly #wildcard = new Map<string, LoadedCertificate>();

  constructor(certificates: readonly LoadedCertificate[], defaultCertificate: LoadedCertificate | undefined) {
    this.certificates = certificates;
    this.defaultCertificate = defaultCertificate;
    for (const cert of certificates) {
      for (const name of cert.names) {
        const index = name.startsWith('*.') ? this.#wildcard : this.#exact;
        const key = name.startsWith('*.') ? name.slice(2) : name;
        if (!index.has(key)) index.set(key, cert);
      }
    }
  }

  /** The certificate serving `serverName` (lower case), if one does. */
  match(serverName: string | undefined): LoadedCertificate | undefined {
    if (!serverName) return undefined;
    const exact = this.#exact.get(serverName);
    if (exact) return exact;
    const dot = serverName.indexOf('.');
    return dot > 0 ? this.#wildcard.get(serverName.slice(dot + 1)) : undefined;
  }
}
