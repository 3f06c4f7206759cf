import { formatError } from '../../config/errors.ts';
import type { StaticConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import type { AcmeDemand, RoutingTable } from '../compile/compile.ts';
import { AcmeProvider } from './acme-provider.ts';
import { acmeHttpHandler, type ChallengeLookup, TlsAlpnResponder } from './challenges.ts';
import { ConsulStorage, consulStorageTarget } from './consul-storage.ts';
import { setupAcmeHttp } from './http-setup.ts';
import { LocalStorage, StoragePermissionsError } from './local-storage.ts';
import { AcmeResolver, certificateKey, type WantedCertificate } from './resolver.ts';
import type { AcmeStorage, ChallengeType } from './storage.ts';

/**
 * Every certificate resolver of the static configuration, and what the router needs from them: one provider
 * per resolver (`<resolver>.acme`), whose snapshots carry its certificates to the routing table through the
 * watcher; the HTTP-01 and TLS-ALPN-01 responders for the entryPoints; and `onTable`, the listener the
 * reloader calls after each swap, which tells each resolver which certificates the new table wants.
 */
export class Acme {
  readonly resolvers = new Map<string, AcmeResolver>();
  readonly #logger: Logger;
  readonly #reported = new Set<string>();
  readonly #tlsAlpn: TlsAlpnResponder | undefined;
  readonly #http: ReturnType<typeof acmeHttpHandler>;
  readonly #httpEntryPoints = new Set<string>();

  constructor(c: StaticConfig, logger: Logger) {
    this.#logger = logger;
    const entries = Object.entries(c.certificatesResolvers ?? {});
    setupAcmeHttp(
      entries.flatMap(([, r]) => r.acme.caCertificates ?? []),
      Math.max(0, ...entries.map(([, r]) => r.acme.clientTimeout)),
      {
        // One HTTP client per process: the system roots stay while any resolver needs them.
        systemRoots: entries.some(([, r]) => !r.acme.caCertificates?.length || r.acme.caSystemCertPool),
        servername: entries.find(([, r]) => r.acme.caServerName)?.[1].acme.caServerName,
      },
    );
    for (const [name, { acme }] of entries) {
      const target = consulStorageTarget(acme.storage, c.providers.consul);
      const storage: AcmeStorage =
        target === undefined
          ? new LocalStorage(acme.storage, name)
          : new ConsulStorage(
              target as Exclude<typeof target, string>,
              name,
              logger.child({ resolver: name }),
            );
      this.resolvers.set(
        name,
        new AcmeResolver({ name, config: acme, storage, logger: logger.child({ resolver: name }) }),
      );
      if (acme.httpChallenge) this.#httpEntryPoints.add(acme.httpChallenge.entryPoint);
    }
    const lookup: ChallengeLookup = (type, id) => this.#lookup(type, id);
    this.#http = acmeHttpHandler(lookup, logger);
    const alpn = entries.some(([, r]) => r.acme.tlsChallenge);
    this.#tlsAlpn = alpn ? new TlsAlpnResponder(lookup, logger) : undefined;
  }

  /** Loads every resolver's storage. A resolver whose storage cannot be used is left out, with an error. */
  async start(): Promise<void> {
    for (const [name, r] of [...this.resolvers]) {
      try {
        await r.start();
      } catch (err) {
        const code =
          err instanceof StoragePermissionsError ? 'ACME_STORAGE_PERMISSIONS' : 'ACME_STORAGE_FAILED';
        const message =
          err instanceof StoragePermissionsError
            ? formatError(code, { resolver: name, mode: err.mode, storage: r.storage.description })
            : formatError(code, {
                resolver: name,
                storage: r.storage.description,
                problem: (err as Error).message,
              });
        this.#logger.error({ code, resolver: name }, `${message}; the resolver is disabled`);
        await r.stop();
        this.resolvers.delete(name);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.resolvers.values()].map((r) => r.stop()));
  }

  /** One provider per resolver that started: its certificates, as snapshots for the watcher. */
  providers(): AcmeProvider[] {
    return [...this.resolvers.values()].map((r) => new AcmeProvider(r));
  }

  /** The HTTP-01 responder for an entryPoint that a resolver names as its challenge entryPoint. */
  httpHandler(entryPoint: string): ReturnType<typeof acmeHttpHandler> | undefined {
    return this.#httpEntryPoints.has(entryPoint) ? this.#http : undefined;
  }

  /** The TLS-ALPN-01 responder, when a resolver uses that challenge. */
  get tlsAlpn(): ((raw: import('node:net').Socket, serverName: string | undefined) => boolean) | undefined {
    const responder = this.#tlsAlpn;
    return responder ? (raw, serverName) => responder.accept(raw, serverName) : undefined;
  }

  async #lookup(type: ChallengeType, id: string): Promise<string | undefined> {
    for (const r of this.resolvers.values()) {
      const value = await r.storage.getChallenge(type, id);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Reports once that defaultGeneratedCert names a resolver that does not exist (or did not start). */
  #unknownResolver(resolver: string): void {
    const key = `defaultGeneratedCert|${resolver}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#logger.warn(
      { code: 'ACME_DOMAIN_INVALID', resolver },
      formatError('ACME_DOMAIN_INVALID', {
        router: 'tls.stores.default.defaultGeneratedCert',
        resolver,
        problem: `certificate resolver "${resolver}" does not exist or did not start (${[...this.resolvers.keys()].join(', ') || 'none'})`,
      }),
    );
  }

  /**
   * The table listener: tells each resolver which certificates the routers of `table` want. The reloader
   * calls it after each swap, so a resolver learns its domains from the table in service.
   */
  onTable(table: RoutingTable): void {
    const byResolver = new Map<string, Map<string, { names: string[]; routers: string[] }>>();
    const generated = table.tls?.state.defaultGeneratedCert;
    // tls.stores.default.defaultGeneratedCert: wanted like a router's domain, even when a configured
    // certificate serves its names (it is to become the default certificate).
    const demands: Array<AcmeDemand & { always?: boolean }> = [
      ...(table.acme ?? []),
      ...(generated
        ? [
            {
              router: 'tls.stores.default.defaultGeneratedCert',
              resolver: generated.resolver,
              domains: [generated.domain],
              always: true,
            },
          ]
        : []),
    ];
    for (const demand of demands) {
      if (!this.resolvers.has(demand.resolver)) {
        if (demand.always) this.#unknownResolver(demand.resolver);
        continue;
      }
      for (const names of this.#names(demand, table)) {
        const wanted = byResolver.get(demand.resolver) ?? new Map();
        byResolver.set(demand.resolver, wanted);
        const key = certificateKey(names);
        const entry = wanted.get(key) ?? { names, routers: [] };
        entry.routers.push(demand.router);
        wanted.set(key, entry);
      }
    }
    for (const [name, r] of this.resolvers) {
      const wanted: WantedCertificate[] = [...(byResolver.get(name)?.values() ?? [])];
      r.want(wanted);
    }
  }

  /**
   * The certificate requests of one router: each domain's main and SANs, lower case. Wildcards without a
   * usable dnsChallenge (DNS-01 only) and routers without a name are reported once and skipped; names all served by a configured
   * certificate need nothing, as in Traefik.
   */
  #names(demand: AcmeDemand & { always?: boolean }, table: RoutingTable): string[][] {
    const out: string[][] = [];
    const store = table.tls?.state.store;
    const acmeIds = table.tls?.state.acmeCertificateIds;
    const report = (problem: string) => {
      const key = `${demand.router}|${problem}`;
      if (this.#reported.has(key)) return;
      this.#reported.add(key);
      this.#logger.error(
        { code: 'ACME_DOMAIN_INVALID', router: demand.router, resolver: demand.resolver },
        formatError('ACME_DOMAIN_INVALID', { router: demand.router, resolver: demand.resolver, problem }),
      );
    };
    if (demand.domains.length === 0) report('its rule names no Host and it sets no tls.domains');
    for (const d of demand.domains) {
      const names = [
        ...new Set(
          [d.main, ...(d.sans ?? [])]
            .filter((n): n is string => !!n)
            .map((n) => n.toLowerCase().replace(/\.$/, '')),
        ),
      ];
      if (names.length === 0) continue;
      const wildcard = names.find((n) => n.includes('*'));
      const dns01 = this.resolvers.get(demand.resolver)?.dns01;
      if (wildcard && !(dns01 && 'provider' in dns01)) {
        report(
          dns01
            ? `${wildcard} is a wildcard, which needs DNS-01, and the resolver's ${dns01.error}`
            : `${wildcard} is a wildcard, which needs the DNS-01 challenge: configure certificatesResolvers.${demand.resolver}.acme.dnsChallenge`,
        );
        continue;
      }
      const covered =
        !demand.always &&
        names.every((n) => {
          const cert = store?.match(n);
          // A resolver's own certificate (in the table through its provider) never counts: it renews it.
          return cert !== undefined && !acmeIds?.has(cert.id);
        });
      if (!covered) out.push(names);
    }
    return out;
  }
}
