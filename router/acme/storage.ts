/** The ACME account of a resolver: its key and, once registered, its URL at the CA. */
export interface StoredAccount {
  readonly email?: string | undefined;
  /** The account URL the CA gave at registration. */
  readonly url?: string | undefined;
  /** PEM private key of the account. */
  readonly keyPem: string;
}

/** A certificate obtained for a domain (Traefik's `main` and `sans`), with its key, both PEM. */
export interface StoredCertificate {
  readonly domain: { readonly main: string; readonly sans: readonly string[] };
  /** The leaf certificate, then the chain. */
  readonly certificate: string;
  readonly key: string;
}

/** The two challenge types Wharf answers itself. */
export type ChallengeType = 'http-01' | 'tls-alpn-01';

/** Gives up a lock taken with `tryLock`. */
export type Release = () => Promise<void>;

/**
 * Where a resolver keeps its account, its certificates and its pending challenge responses: a local JSON
 * file (one router) or Consul KV (replicas sharing one DNS name). Every method may throw on I/O errors; the
 * caller logs and retries.
 */
export interface AcmeStorage {
  /** Shown in logs: the file path or the Consul prefix. */
  readonly description: string;
  /** The stored account (undefined before the first registration) and certificates. */
  load(): Promise<{ account: StoredAccount | undefined; certificates: StoredCertificate[] }>;
  /**
   * Stores the account unless another replica stored one first; returns the account to use (the stored one
   * in that case), so all replicas share a single account.
   */
  saveAccount(account: StoredAccount): Promise<StoredAccount>;
  /** Stores (or replaces) the certificate of `certificate.domain.main`. */
  saveCertificate(certificate: StoredCertificate): Promise<void>;
  /** The stored certificate of a main domain, read from the store itself (not a cache). */
  getCertificate(main: string): Promise<StoredCertificate | undefined>;
  /** Publishes a challenge response where every replica can read it (the CA may reach any of them). */
  putChallenge(type: ChallengeType, id: string, value: string): Promise<void>;
  removeChallenge(type: ChallengeType, id: string): Promise<void>;
  getChallenge(type: ChallengeType, id: string): Promise<string | undefined>;
  /** Takes the lock that lets one orderer work on `name`; undefined when another holds it. */
  tryLock(name: string): Promise<Release | undefined>;
  /**
   * Calls `onCertificates` with every stored certificate whenever another writer changes them (Consul),
   * until `signal` aborts; a local file has no other writer and never calls it.
   */
  watch(
    onCertificates: (certificates: StoredCertificate[]) => void,
    signal: AbortSignal,
    onError: (err: unknown) => void,
  ): void;
  close(): Promise<void>;
}
