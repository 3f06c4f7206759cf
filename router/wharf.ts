import { hostname } from 'node:os';
import { WharfError } from '../config/errors.ts';
import { entryPointObservability } from '../config/static/entry-point-observability.ts';
import type { StaticConfig } from '../config/static.ts';
import { Agent } from '../core/http-client.ts';
import type { Logger } from '../core/log.ts';
import { compileIpMatcher } from '../core/net/ip-matcher.ts';
import type { Clock } from '../middleware/clock.ts';
import { deniedEncodings } from '../middleware/encoded-characters/denied-encodings.ts';
import { middlewareRegistry } from '../middleware/registry.ts';
import type { Provider, Snapshot } from '../providers/provider.ts';
import { type AccessLog, createAccessLog } from './access-log/access-log.ts';
import type { Acme } from './acme/acme.ts';
import { type AcmeProvider, acmeProviderName } from './acme/acme-provider.ts';
import { createApiHandler } from './api/api.ts';
import { apiStartNotice } from './api/api-notice.ts';
import { basePrefix, internalSnapshot } from './api/internal-config.ts';
import { internalServices, pingHandler } from './api/internal-services.ts';
import { registerBanMetrics } from './ban/ban-metrics.ts';
import { Bans } from './ban/bans.ts';
import { compile } from './compile/compile.ts';
import { dashboardService, withEvents } from './dashboard/with-dashboard.ts';
import { defaultProviders } from './default-providers.ts';
import { entryPointSpecs, resolveEntryPoints } from './entry-points.ts';
import { entryPointExtraOptions } from './http/entry-point-extras.ts';
import { EntryPoint } from './http/entrypoint.ts';
import { FdExhaustion } from './http/fd-exhaustion.ts';
import { parseAddress } from './http/parse-address.ts';
import { Metrics } from './metrics/metrics.ts';
import { ProviderActivity } from './metrics/provider-activity.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { merge } from './reload/merge.ts';
import { Reloader } from './reload/reloader.ts';
import { TableRef } from './reload/table-ref.ts';
import { ConfigWatcher } from './reload/watcher.ts';
import { transportSettings } from './services/servers-transport.ts';
import { checkStatic } from './static-checks.ts';
import type { LoadedCertificate } from './tls/certificates.ts';
import { generateDefaultCertificate } from './tls/default-certificate.ts';
import { tracedMiddleware } from './tracing/middleware-spans.ts';
import { Tracing } from './tracing/tracing.ts';

/** Options for starting a router. */
export interface WharfOptions {
  readonly staticConfig: StaticConfig;
  readonly logger: Logger;
  /** Providers to use instead of those the static configuration names (tests, embedding). */
  readonly providers?: readonly Provider[];
  /** How long a reload computes before letting requests run, ms (router/reload/reloader.ts; tests). */
  readonly reloadSliceMs?: number;
  /** The clock middlewares count time with (default: the system clock); tests advance one by hand. */
  readonly clock?: Clock;
}

/** A running router: its listeners, routing table, providers and lifecycle. */
export class Wharf {
  readonly entryPoints = new Map<string, EntryPoint>();
  readonly tableRef: TableRef;
  readonly reloader: Reloader;
  /** Upstream keep-alive pools, shared by every generation. */
  readonly pools = new UpstreamPools();
  private readonly sideTraffic = new Agent();
  private readonly abort = new AbortController();
  private readonly logger: Logger;
  private readonly config: StaticConfig;
  private readonly accessLog: AccessLog | undefined;
  /** Logs running out of file descriptors (and recovering) once per change; shared by every entryPoint. */
  readonly fdExhaustion: FdExhaustion;
  private readonly providers: readonly Provider[];
  /** The internal provider's routers (api, dashboard, ping), merged into every reload. */
  private readonly internal: Snapshot;
  /** The certificate resolvers (ACME), when `certificatesResolvers` configures any. */
  readonly acme: Acme | undefined;
  /** OpenTelemetry tracing, when the static `tracing` section is set (router/tracing/). */
  readonly tracing: Tracing | undefined;
  private watcherDone: Promise<void> = Promise.resolve();
  private readonly firstSnapshots = new Set<string>();
  private readyResolve: (() => void) | undefined;
  /** Resolves once every provider's first snapshot is in service. */
  readonly ready: Promise<void>;
  /**
   * The metrics, when `metrics.prometheus` or `metrics.otlp` is set. `metrics.serve` is the handler of
   * the `prometheus@internal` service (what a router of the user's reaches with `manualRouting: true`).
   */
  readonly metrics: Metrics | undefined;
  /** The ban middleware's bans, shared by its instances (and through Consul): router/ban/ (issue 17). */
  readonly bans: Bans;
  private stopping = false;

  private constructor(
    options: WharfOptions,
    defaultCertificate: LoadedCertificate,
    acmeModule: typeof import('./acme/acme.ts') | undefined,
  ) {
    this.logger = options.logger;
    this.config = options.staticConfig;
    const c = options.staticConfig;
    this.accessLog = c.accessLog
      ? createAccessLog(c.accessLog, {
          entryPointDefaults: entryPointObservability(resolveEntryPoints(c), 'accessLogs'),
        })
      : undefined;
    this.tracing = c.tracing
      ? new Tracing(c.tracing, this.logger, undefined, {
          tracing: entryPointObservability(resolveEntryPoints(c), 'tracing'),
          traceVerbosity: entryPointObservability(resolveEntryPoints(c), 'traceVerbosity'),
        })
      : undefined;
    this.fdExhaustion = new FdExhaustion(this.logger);
    this.ready = new Promise((r) => (this.readyResolve = r));
    const eps = resolveEntryPoints(c);
    const specs = entryPointSpecs(eps);
    const acme = acmeModule ? new acmeModule.Acme(c, this.logger) : undefined;
    this.acme = acme;
    this.bans = new Bans(c, this.logger, options.clock);
    // --- internal services (router/api/): api@internal, dashboard@internal, ping@internal, noop@internal ---
    const startDate = new Date();
    const dashboard = c.api?.dashboard ? dashboardService(c) : undefined;
    const internal = internalServices({
      api: c.api
        ? withEvents(
            createApiHandler({
              table: () => this.tableRef.current().table,
              diagnostics: () => this.reloader.diagnostics,
              staticConfig: { ...c, entryPoints: eps },
              startDate,
              dashboard,
              bans: this.bans,
            }),
            {
              basePath: basePrefix(c.api.basePath) || '/',
              onReload: (listener) => this.reloader.subscribe(listener),
              generation: () => this.tableRef.current().id,
              shuttingDown: () => this.stopping,
            },
          )
        : undefined,
      dashboard,
      ping: c.ping ? pingHandler(c.ping.terminatingStatusCode, () => this.stopping) : undefined,
      // prometheus@internal: /metrics (this.metrics is made below, once the table and reloader exist).
      prometheus: c.metrics?.prometheus ? (req, res) => (this.metrics as Metrics).serve(req, res) : undefined,
    });
    this.internal = internalSnapshot(c);
    const deps = {
      entryPoints: specs,
      pools: this.pools,
      sideTraffic: this.sideTraffic,
      logger: this.logger,
      defaultTransport: transportSettings(c.serversTransport),
      tls: {
        generatedDefault: defaultCertificate,
        acmeProviders: new Set(Object.keys(c.certificatesResolvers ?? {}).map(acmeProviderName)),
      },
      certResolvers: new Set(Object.keys(c.certificatesResolvers ?? {})),
      internalServices: internal,
      middlewares: { ...middlewareRegistry, ban: this.bans.definition },
      defaultRuleSyntax: c.core?.defaultRuleSyntax ?? 'v3', // issue 18: ruleSyntax v2
      ...(options.clock ? { clock: options.clock } : {}),
      ...(this.tracing ? { traceMiddleware: tracedMiddleware } : {}),
    };
    // The internal routers serve from the first table on, before any provider has reported.
    this.tableRef = new TableRef(
      compile(merge([this.internal]), { ...deps, previousServices: new Map() }).table,
    );
    this.reloader = new Reloader(
      this.tableRef,
      deps,
      this.logger,
      undefined,
      options.reloadSliceMs !== undefined ? { sliceMs: options.reloadSliceMs } : {},
    );
    // ACME learns the domains it must serve from each table in service; its certificates come back as
    // the snapshots of its providers (startProviders), through the watcher like any provider's.
    if (acme) this.reloader.subscribe((table) => acme.onTable(table));
    // The access log learns each router's observability.accessLogs from the table in service.
    const accessLog = this.accessLog;
    if (accessLog) this.reloader.subscribe((table) => accessLog.onTable(table));
    this.providers = options.providers ?? defaultProviders(c, this.logger);
    // --- metrics (issue 16): counted when a response is done; everything else is read when scraped.
    const metricsConfig = c.metrics?.prometheus || c.metrics?.otlp ? c.metrics : undefined;
    const activity = new ProviderActivity();
    this.metrics = metricsConfig
      ? new Metrics(
          metricsConfig,
          {
            tableRef: this.tableRef,
            reloader: this.reloader,
            openConnections: () => [...this.entryPoints].map(([n, ep]) => [n, ep.openConnections] as const),
            providers: () => this.providers,
            activity,
          },
          eps,
          this.logger,
        )
      : undefined;
    if (this.metrics) {
      const m = this.metrics;
      this.providers = this.providers.map((p) => activity.tap(p));
      m.onTable(this.tableRef.current().table);
      const now = options.clock ? () => options.clock!.now() : Date.now;
      for (const registry of [m.registry, m.otlp?.registry])
        if (registry) registerBanMetrics(registry, this.bans.list, now);
      this.reloader.subscribe((table) => m.onTable(table));
    }
    for (const [name, ep] of Object.entries(eps)) {
      const addr = parseAddress(ep.address) as { host: string | undefined; port: number };
      const trusted = ep.forwardedHeaders?.insecure
        ? () => true
        : compileIpMatcher(ep.forwardedHeaders?.trustedIPs ?? []);
      const redir = ep.http?.redirections?.entryPoint;
      // An entryPoint's port once it listens (the configured one, or the bound one for port 0).
      const redirectPort = () =>
        redir && eps[redir.to]
          ? String(this.entryPoints.get(redir.to)?.port || parseAddress(eps[redir.to]!.address)?.port)
          : redir?.to.replace(/^:/, '');
      this.entryPoints.set(
        name,
        new EntryPoint({
          name,
          host: addr.host,
          port: addr.port,
          tableRef: this.tableRef,
          logger: this.logger,
          forwarded: {
            trusted,
            serverName: hostname(),
            connection: ep.forwardedHeaders?.connection?.map((h) => h.toLowerCase()),
          },
          ...entryPointExtraOptions(ep),
          readTimeoutMs: ep.transport?.respondingTimeouts?.readTimeout ?? 60_000,
          idleTimeoutMs: ep.transport?.respondingTimeouts?.idleTimeout ?? 180_000,
          writeTimeoutMs: ep.transport?.respondingTimeouts?.writeTimeout ?? 0,
          target: {
            sanitizePath: ep.http?.sanitizePath ?? true,
            deniedEncodings: deniedEncodings(ep.http?.encodedCharacters),
          },
          fdExhaustion: this.fdExhaustion,
          ...(this.tracing ? { tracing: this.tracing } : {}),
          ...(this.accessLog ? { accessLog: this.accessLog } : {}),
          ...(acme?.httpHandler(name) ? { acmeHttp: acme.httpHandler(name) } : {}),
          ...(acme?.tlsAlpn ? { acmeTlsAlpn: acme.tlsAlpn } : {}),
          ...(this.metrics ? { metrics: this.metrics.requests } : {}),
          ...(redir
            ? {
                redirect: {
                  scheme: redir.scheme,
                  port: redirectPort,
                  permanent: redir.permanent,
                  ...(redir.priority !== undefined ? { priority: redir.priority } : {}),
                },
              }
            : {}),
        }),
      );
    }
  }

  /**
   * Checks the static configuration, listens on every entryPoint and starts the providers. Throws a
   * WharfError: STATIC_CONFIG_INVALID (every error of the checks, one line each) or ENTRYPOINT_LISTEN_FAILED.
   */
  static async start(options: WharfOptions): Promise<Wharf> {
    const checked = checkStatic(options.staticConfig, resolveEntryPoints(options.staticConfig));
    const errors = checked.filter((d) => d.severity === 'error');
    if (errors.length > 0)
      throw new WharfError('STATIC_CONFIG_INVALID', {
        problems: errors.map((d) => `[${d.code}] ${d.message}`).join('\n  '),
      });
    // Like Traefik's TRAEFIK DEFAULT CERT: made at start, served until a default certificate is configured.
    // The ACME client (acme-client, axios) is loaded only when a resolver is configured: ~12 MiB otherwise.
    const acmeModule = options.staticConfig.certificatesResolvers
      ? await import('./acme/acme.ts')
      : undefined;
    const w = new Wharf(options, await generateDefaultCertificate(), acmeModule);
    try {
      // Stored certificates serve from the first routing table on: no order at restart.
      await w.acme?.start();
      for (const ep of w.entryPoints.values()) {
        try {
          await ep.listen();
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          const hint =
            e.code === 'EADDRINUSE'
              ? 'the address is in use by another process'
              : e.code === 'EACCES'
                ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE'
                : e.message;
          throw new WharfError(
            'ENTRYPOINT_LISTEN_FAILED',
            {
              entryPoint: ep.name,
              address: resolveEntryPoints(options.staticConfig)[ep.name]?.address,
              problem: hint,
            },
            { cause: err },
          );
        }
        w.logger.info({ entryPoint: ep.name, port: ep.port }, 'entryPoint listening');
      }
      w.fdExhaustion.start();
    } catch (err) {
      await w.stop();
      throw err;
    }
    for (const d of checked.filter((x) => x.severity === 'warning'))
      w.logger.warn({ code: d.code, key: d.key }, d.message);
    const apiNotice = apiStartNotice(options.staticConfig);
    if (apiNotice) w.logger.info(apiNotice);
    w.startProviders();
    return w;
  }

  private startProviders(): void {
    // First: their first snapshot (stored certificates) is ready at once, so it is in the first tables.
    const acme: readonly AcmeProvider[] = this.acme?.providers() ?? [];
    const providers = [...acme, ...this.providers];
    if (providers.length === 0) this.readyResolve?.();
    const watcher = new ConfigWatcher({
      throttleMs: this.config.providers.providersThrottleDuration,
      logger: this.logger,
      apply: (snapshots: ReadonlyMap<string, Snapshot>) => {
        const names = [...snapshots.keys()];
        const all = new Map(snapshots).set(this.internal.provider, this.internal);
        // Ready once the reload holding every provider's first snapshot has finished (a large one runs
        // in slices, between which requests are served).
        this.reloader
          .apply(all)
          .then(() => {
            for (const p of names) this.firstSnapshots.add(p);
            if (providers.every((p) => this.firstSnapshots.has(p.name))) this.readyResolve?.();
          })
          .catch((err: unknown) => this.logger.error({ err }, 'reload failed unexpectedly'));
      },
    });
    this.watcherDone = watcher.run(providers, this.abort.signal);
  }

  /** The bound port of an entryPoint. */
  port(name: string): number {
    const ep = this.entryPoints.get(name);
    if (!ep) throw new Error(`no entryPoint ${name}`);
    return ep.port;
  }

  /** Whether a stop has begun (ping answers 503 from then on). */
  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Graceful stop: ping turns 503, listeners stop accepting, requests in flight get up to each
   * entryPoint's graceTimeOut, then providers, health checks, pools and logs are closed.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const eps = resolveEntryPoints(this.config);
    const acceptGrace = Math.max(
      0,
      ...Object.values(eps).map((e) => e.transport?.lifeCycle?.requestAcceptGraceTimeout ?? 0),
    );
    if (acceptGrace > 0) await new Promise((r) => setTimeout(r, acceptGrace));
    await Promise.all(
      [...this.entryPoints.values()].map((ep) =>
        ep.stop(eps[ep.name]?.transport?.lifeCycle?.graceTimeOut ?? 10_000),
      ),
    );
    this.abort.abort();
    this.fdExhaustion.stop();
    this.reloader.heapTrim.stop();
    await this.watcherDone;
    await this.acme?.stop();
    this.tableRef.closeAll();
    await this.bans.close();
    // Health probes and mirror copies are Wharf's own traffic: abort them rather than wait.
    await Promise.all([this.pools.close(), this.sideTraffic.destroy()]);
    this.accessLog?.close();
    // The spans of the last requests go out before the process ends (Traefik: 5 s at most).
    await this.tracing
      ?.shutdown()
      .catch((err: unknown) =>
        this.logger.warn({ err: String(err) }, 'tracing: cannot export the last spans'),
      );
    // The counts since the last OTLP push go out too (waited for 5 s at most, as the spans).
    await this.metrics
      ?.close()
      .catch((err: unknown) =>
        this.logger.warn({ err: String(err) }, 'metrics.otlp: cannot push the last metrics'),
      );
  }

  /** Closes and reopens the access log file (SIGUSR1, as Traefik: logrotate has moved it). */
  reopenAccessLog(): void {
    this.accessLog?.reopen();
  }
}
