import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { ERRORS, type ErrorCode, formatError } from '../../config/errors.ts';
import { decodeFlatKeys } from '../../config/flat-keys.ts';
import {
  ContainerDocumentSchema,
  DOCUMENT_LABEL_PREFIX,
  DOCUMENT_VERSION,
  REGISTRAR_FOLDER,
} from '../../core/registrar-document.ts';
import type { ConfigFragment } from '../merge-fragments.ts';
import type { KvEntry } from './kv-client.ts';

// The router's side of the registrar: documents under `<root>/registrar/<host>/containers/<id>`, each one
// container's configuration as flat labels, decoded with the label codec the Docker provider uses.

/** Whether a KV key belongs to the registrar's folder. */
export function isRegistrarKey(key: string, root: string): boolean {
  return key.startsWith(`${root}/${REGISTRAR_FOLDER}/`);
}

/**
 * Decodes registrar documents into one configuration fragment per container (merged by the caller with
 * the hand-written keys, replicas' servers united). A document that cannot be read is left out with an
 * error naming its key; the diagnostics the registrar recorded for a container are passed on, so the
 * router's API says why a container's item is missing.
 */
export function decodeRegistrarDocuments(
  entries: readonly KvEntry[],
  root: string,
  provider: string,
): { fragments: ConfigFragment[]; diagnostics: Diagnostic[] } {
  const fragments: ConfigFragment[] = [];
  const diagnostics: Diagnostic[] = [];
  const folder = `${root}/${REGISTRAR_FOLDER}/`;
  const problem = (
    key: string,
    code: ErrorCode,
    params: Record<string, string>,
    severity: 'error' | 'warning',
  ) =>
    diagnostics.push({
      source: provider,
      subject: key,
      code,
      message: formatError(code, params),
      severity,
      key,
    });
  for (const entry of [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    if (entry.key.endsWith('/')) continue;
    const parts = entry.key.slice(folder.length).split('/');
    const [host, kind, id] = parts;
    if (parts.length === 2 && kind === 'lease') continue;
    if (parts.length !== 3 || kind !== 'containers' || !host || !id) {
      problem(entry.key, 'REGISTRAR_UNKNOWN_KEY', { key: entry.key }, 'warning');
      continue;
    }
    const invalid = (why: string) =>
      problem(
        entry.key,
        'REGISTRAR_DOCUMENT_INVALID',
        { key: entry.key, problem: `${why}; it is left out` },
        'error',
      );
    let json: unknown;
    try {
      json = JSON.parse(entry.value);
    } catch (err) {
      invalid(`not JSON (${(err as Error).message})`);
      continue;
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > DOCUMENT_VERSION) {
      invalid(
        `written by a newer registrar (format ${version}; this router reads ${DOCUMENT_VERSION}): upgrade the routers`,
      );
      continue;
    }
    const parsed = ContainerDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      invalid(`${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'unexpected shape'}`);
      continue;
    }
    const doc = parsed.data;
    if (doc.host !== host || doc.container.id !== id) {
      invalid(`it names host "${doc.host}" and container "${doc.container.id}", not those of its key`);
      continue;
    }
    const subject = `${host}/${doc.container.name}`;
    for (const d of doc.diagnostics) {
      diagnostics.push({
        source: provider,
        subject,
        // Own keys only: a code such as "constructor" or "toString" read from KV is not a catalog code.
        code: Object.hasOwn(ERRORS, d.code) ? (d.code as ErrorCode) : 'REGISTRAR_DOCUMENT_INVALID',
        message: d.message,
        severity: d.severity,
        ...(d.item && { item: d.item }),
        ...(d.key !== undefined && { key: d.key }),
        ...(d.value !== undefined && { value: d.value }),
      });
    }
    const labels = Object.entries(doc.labels).map(([key, value]) => ({ key, value }));
    const decoded = decodeFlatKeys(labels, {
      style: 'label',
      root: DOCUMENT_LABEL_PREFIX,
      source: provider,
      subject,
    });
    diagnostics.push(...decoded.diagnostics);
    fragments.push({ source: subject, config: decoded.config as DynamicConfig });
  }
  return { fragments, diagnostics };
}
