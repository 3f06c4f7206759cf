import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { decodeFlatKeys } from '../../config/flat-keys.ts';
import { mergeFragments } from '../merge-fragments.ts';
import type { KvEntry } from './kv-client.ts';
import { decodeRegistrarDocuments, isRegistrarKey } from './registrar-documents.ts';

/**
 * Decodes a read of the KV root into configuration. Two kinds of keys live there:
 * - hand-written keys in Traefik's layout (`<root>/http/routers/<r>/rule`, `.../entrypoints/0`), through the
 *   codec labels use too. Folder keys (ending in `/`) are skipped. A key that does not decode disables only
 *   the item it belongs to, with a diagnostic naming the key and value;
 * - registrar documents under `<root>/registrar/`, one per container (registrar-documents.ts).
 * Keys under `<root>/acme/` are ACME storage shared by router replicas (docs/acme.md) and are skipped, as
 * are those under `<root>/bans/` (the ban middleware's bans, docs/middlewares/ban.md).
 * Both are merged as the Docker provider merges containers: items defined identically are kept once,
 * replicas' servers are united, and anything defined differently is left out with an error naming both.
 */
export function decodeKvEntries(
  entries: readonly KvEntry[],
  rootKey: string,
  provider: string,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  const root = rootKey.replace(/\/+$/, '');
  // ACME accounts, certificates, challenges and locks (router/acme/consul-storage.ts), not routing.
  const acme = `${root}/acme/`;
  const bans = `${root}/bans/`; // issue 17: router/ban/consul-ban-sync.ts
  const handWritten: Array<{ key: string; value: string }> = [];
  const documents: KvEntry[] = [];
  for (const e of entries) {
    if (e.key.endsWith('/') || e.key.startsWith(acme) || e.key.startsWith(bans)) continue;
    if (isRegistrarKey(e.key, root)) documents.push(e);
    else handWritten.push({ key: e.key, value: e.value });
  }
  const subject = `Consul KV ${root}/`;
  const hand = decodeFlatKeys(handWritten, { style: 'kv', root, source: provider, subject });
  if (documents.length === 0) return hand;
  const registered = decodeRegistrarDocuments(documents, root, provider);
  const merged = mergeFragments([{ source: subject, config: hand.config }, ...registered.fragments], {
    provider,
    unionServers: true,
  });
  return {
    config: merged.config,
    diagnostics: [...hand.diagnostics, ...registered.diagnostics, ...merged.diagnostics],
  };
}
