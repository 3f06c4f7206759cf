import { z } from 'zod';

// What the registrar publishes: one KV document per container, under a host-scoped prefix.
//
//   <root>/registrar/<host>/lease              the host's session (every document is locked by it)
//   <root>/registrar/<host>/containers/<id>    one container's routing configuration (JSON)
//
// A document holds the container's configuration AFTER the Docker provider's decoder ran: bad items are
// already left out, default routers and rules are filled in, and each service has this container's
// server with its resolved address. It is written as flat labels under the fixed prefix `wharf`, so the
// router decodes it with the same label codec the Docker provider uses, and a container routes the same
// way whether the router reads Docker or reads what the registrar published.

/** The folder under the root key that holds registrar documents. */
export const REGISTRAR_FOLDER = 'registrar';
/** The label prefix inside documents, whatever labelPrefix the registrar reads. */
export const DOCUMENT_LABEL_PREFIX = 'wharf';
/** The document format; a router reads only versions it knows. */
export const DOCUMENT_VERSION = 1;
/**
 * The largest document published. Consul's default kv_max_value_size is 512 KiB and a transaction body
 * (base64 values) is limited to about 500 KB, so one document must leave room in a transaction.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

/** A host id is a single KV path segment. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The keys of one host. */
export interface HostKeys {
  /** `<root>/registrar/<host>/` */
  readonly prefix: string;
  readonly lease: string;
  /** `<root>/registrar/<host>/containers/` */
  readonly containers: string;
}

/** The keys of `host` under `rootKey`. */
export function hostKeys(rootKey: string, host: string): HostKeys {
  const prefix = `${rootKey.replace(/\/+$/, '')}/${REGISTRAR_FOLDER}/${host}/`;
  return { prefix, lease: `${prefix}lease`, containers: `${prefix}containers/` };
}

/**
 * A host id from the Docker engine's ID: old engines use `ABCD:EFGH:…`, newer ones a UUID. Lower-cased,
 * with characters a KV segment should not hold turned into dashes.
 */
export function hostIdFromEngine(engineId: string): string {
  const id = engineId
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128);
  return id;
}

const DocumentDiagnosticSchema = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  key: z.string().optional(),
  value: z.string().optional(),
  item: z
    .object({
      kind: z.enum(['router', 'service', 'middleware', 'serversTransport', 'entryPoint', 'provider', 'tls']),
      name: z.string(),
    })
    .optional(),
});

/** A container document, as stored in Consul. */
export const ContainerDocumentSchema = z.object({
  version: z.literal(DOCUMENT_VERSION),
  host: z.string(),
  container: z.object({ id: z.string(), name: z.string() }),
  /** Flat labels under DOCUMENT_LABEL_PREFIX: the container's decoded configuration. */
  labels: z.record(z.string(), z.string()),
  /** What the registrar's decoder reported for this container (items it left out, warnings). */
  diagnostics: z.array(DocumentDiagnosticSchema),
});
export type ContainerDocument = z.infer<typeof ContainerDocumentSchema>;
