import { X509Certificate } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { redactUrls } from '../../core/redact.ts';
import type { Provider } from '../../providers/provider.ts';
import type { TableRef } from '../reload/table-ref.ts';
import type { LoadedCertificate } from '../tls/certificates.ts';
import type { ProviderActivity } from './provider-activity.ts';

// The metrics read from Wharf's state when Prometheus scrapes, never counted per request: Traefik's
// global ones (reloads, open connections, certificate expiry, server health) and Wharf's own
// (diagnostics, providers, Consul, generations). Each collect() replaces the values it exports.

/** Where the scrape-time metrics read Wharf's state. */
export interface MetricsSources {
  readonly tableRef: TableRef;
  readonly reloader: {
    readonly reloads: number;
    readonly abandoned: number;
    readonly lastReloadAt: number;
    readonly diagnostics: readonly Diagnostic[];
  };
  /** Open connections per entryPoint. */
  readonly openConnections: () => Iterable<readonly [string, number]>;
  readonly providers: () => readonly Provider[];
  readonly activity: ProviderActivity;
}

/** The labels and expiry of a certificate, as Traefik's tls_certs_not_after has them. */
export interface CertificateLabels {
  readonly cn: string;
  readonly serial: string;
  readonly sans: string;
  /** Seconds since the epoch. */
  readonly notAfter: number;
}

/** Reads a certificate's labels: subject CN, decimal serial, sorted DNS SANs joined by commas. */
export function certificateLabels(pem: string): CertificateLabels {
  const x = new X509Certificate(pem);
  const cn = /^CN=(.*)$/m.exec(x.subject)?.[1] ?? '';
  const sans = (x.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4))
    .sort()
    .join(',');
  const serial = /^[0-9a-f]+$/i.test(x.serialNumber)
    ? BigInt(`0x${x.serialNumber}`).toString()
    : x.serialNumber;
  return { cn, serial, sans, notAfter: Math.floor(new Date(x.validTo).getTime() / 1000) };
}

/** Registers the scrape-time metrics. */
export function registerWharfMetrics(registry: Registry, src: MetricsSources): void {
  const registers = [registry];
  const certs = new Map<string, CertificateLabels | undefined>();
  const labelsOf = (c: LoadedCertificate) => {
    if (!certs.has(c.id)) {
      try {
        certs.set(c.id, certificateLabels(c.cert));
      } catch {
        // A certificate the TLS store accepted parses; one that does not is left out of the metric.
        certs.set(c.id, undefined);
      }
    }
    return certs.get(c.id);
  };
  const table = () => src.tableRef.current().table;

  new Counter({
    name: 'wharf_config_reloads_total',
    help: 'Config reloads',
    registers,
    collect() {
      this.reset();
      this.inc(src.reloader.reloads);
    },
  });
  new Gauge({
    name: 'wharf_config_last_reload_success',
    help: 'Last config reload success (Unix time, seconds)',
    registers,
    collect() {
      this.set(Math.floor(src.reloader.lastReloadAt / 1000));
    },
  });
  new Gauge({
    name: 'wharf_open_connections',
    help: 'How many open connections exist, by entryPoint and protocol',
    labelNames: ['entrypoint', 'protocol'],
    registers,
    collect() {
      this.reset();
      for (const [entrypoint, n] of src.openConnections()) this.set({ entrypoint, protocol: 'TCP' }, n);
    },
  });
  new Gauge({
    name: 'wharf_tls_certs_not_after',
    help: 'Certificate expiration timestamp',
    labelNames: ['cn', 'serial', 'sans'],
    registers,
    collect() {
      this.reset();
      const seen = new Set<string>();
      for (const c of table().tls?.state.store.certificates ?? []) {
        seen.add(c.id);
        const l = labelsOf(c);
        if (l) this.set({ cn: l.cn, serial: l.serial, sans: l.sans }, l.notAfter);
      }
      for (const id of certs.keys()) if (!seen.has(id)) certs.delete(id);
    },
  });
  new Gauge({
    name: 'wharf_service_server_up',
    help: 'service server is up, described by gauge value of 0 or 1.',
    labelNames: ['service', 'url'],
    registers,
    collect() {
      this.reset();
      // A password in a server URL is not exported, as the API does not show it.
      for (const [service, runtime] of table().services)
        for (const [url, health] of Object.entries(runtime.serverStatus()))
          this.set({ service, url: redactUrls(url) }, health === 'UP' ? 1 : 0);
    },
  });

  // --- Wharf's own ---------------------------------------------------------------------------------
  new Gauge({
    name: 'wharf_diagnostics',
    help: 'Diagnostics of the configuration in service, by code, provider (or compile, static) and severity',
    labelNames: ['code', 'provider', 'severity'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, { code: string; provider: string; severity: string; n: number }>();
      for (const d of src.reloader.diagnostics) {
        const key = `${d.code}\u0000${d.source}\u0000${d.severity}`;
        const c = counts.get(key) ?? { code: d.code, provider: d.source, severity: d.severity, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const c of counts.values())
        this.set({ code: c.code, provider: c.provider, severity: c.severity }, c.n);
    },
  });
  new Counter({
    name: 'wharf_provider_snapshots_total',
    help: 'Complete snapshots each provider read from its source (unchanged ones included)',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const [provider, c] of src.activity.byProvider) this.inc({ provider }, c.snapshots);
    },
  });
  new Gauge({
    name: 'wharf_provider_last_snapshot_timestamp_seconds',
    help: "Unix time of each provider's last snapshot (0: none yet)",
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const [provider, c] of src.activity.byProvider) this.set({ provider }, c.lastAt / 1000);
    },
  });
  new Counter({
    name: 'wharf_provider_failures_total',
    help: 'Failed reads of each provider (source unreachable, refused or undecodable); each is retried',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const p of src.providers()) if (p.stats) this.inc({ provider: p.name }, p.stats.failures);
    },
  });
  new Gauge({
    name: 'wharf_consul_index',
    help: 'X-Consul-Index of the last successful read of the Consul provider',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const p of src.providers())
        if (p.stats && p.name.startsWith('consul')) this.set({ provider: p.name }, p.stats.consulIndex);
    },
  });
  new Gauge({
    name: 'wharf_consul_read_lag_seconds',
    help: 'X-Consul-LastContact of the last read: how stale the answering server may be (0 on consistent reads)',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const p of src.providers())
        if (p.stats && p.name.startsWith('consul'))
          this.set({ provider: p.name }, p.stats.consulLastContactMs / 1000);
    },
  });
  new Counter({
    name: 'wharf_generations_swapped_total',
    help: 'Routing tables swapped into service since start',
    registers,
    collect() {
      this.reset();
      this.inc(src.tableRef.current().id);
    },
  });
  new Counter({
    name: 'wharf_config_reloads_abandoned_total',
    help: 'Reloads abandoned at a pause because a newer configuration arrived',
    registers,
    collect() {
      this.reset();
      this.inc(src.reloader.abandoned);
    },
  });
  new Gauge({
    name: 'wharf_generation_inflight_requests',
    help: 'Requests in flight per generation: the serving one and those still draining after a swap',
    labelNames: ['generation', 'state'],
    registers,
    collect() {
      this.reset();
      const current = src.tableRef.current();
      for (const g of src.tableRef.live())
        this.set({ generation: String(g.id), state: g === current ? 'serving' : 'draining' }, g.active);
    },
  });
}
