/**
 * What a provider tells about its source besides snapshots, for Wharf's own metrics
 * (docs/observability/metrics.md): failed reads, and for Consul the last index and how stale a read was.
 * The provider updates the fields; the metrics read them when scraped.
 */
export class ProviderStats {
  /** Reads of the source that failed (unreachable, refused, undecodable) since start. */
  failures = 0;
  /** Consul: the X-Consul-Index of the last successful read (0 before the first). */
  consulIndex = 0;
  /** Consul: X-Consul-LastContact of the last read, ms since the answering server heard from the leader (0 on consistent reads). */
  consulLastContactMs = 0;
}
