import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// The registrar listens on no port (registrar/health.ts), so its metrics are a file in Prometheus's text
// format, rewritten with the health file: node_exporter's textfile collector (or any file scraper) exports
// it. Publishes are rare, so prom-client's own metrics are fine here.

/** The registrar's metrics (docs/observability/metrics.md, "The registrar"). */
export class RegistrarMetrics {
  readonly registry = new Registry();
  /** Plans committed to Consul (every transaction of the plan succeeded). */
  readonly publishes = new Counter({
    name: 'wharf_registrar_publishes_total',
    help: 'Plans published to Consul (all of their transactions committed)',
    registers: [this.registry],
  });
  /** Transactions Consul rolled back (409: a guarded key changed since it was read); each is re-read and re-planned. */
  readonly conflicts = new Counter({
    name: 'wharf_registrar_conflicts_total',
    help: 'Transactions rolled back by Consul (409), each followed by a re-read and a new plan',
    registers: [this.registry],
  });
  /** Failed attempts to reach Consul. */
  readonly consulFailures = new Counter({
    name: 'wharf_registrar_consul_failures_total',
    help: 'Failed attempts to read or write Consul (each retried with backoff)',
    registers: [this.registry],
  });
  /** From the first attempt at a change to its last committed transaction, conflicts and retries included. */
  readonly publishDuration = new Histogram({
    name: 'wharf_registrar_publish_duration_seconds',
    help: 'Time from the first attempt to publish a change to its commit, 409 retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Documents published for this host as of the last read. */
  readonly documents = new Gauge({
    name: 'wharf_registrar_documents',
    help: 'Documents published for this host, as of the last read of Consul',
    registers: [this.registry],
  });
  /** 1 while Consul holds what Docker reports. */
  readonly inSync = new Gauge({
    name: 'wharf_registrar_in_sync',
    help: '1 while what Consul holds matches what Docker reports, else 0',
    registers: [this.registry],
  });

  /** Writes the metrics to `file` atomically (a reader never sees half a file). */
  async write(file: string): Promise<void> {
    const text = await this.registry.metrics();
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  }
}
