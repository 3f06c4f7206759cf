import type { DynamicConfig } from '../../config/dynamic.ts';
import { decodeFlatKeys } from '../../config/flat-keys.ts';
import type { Diagnostic } from '../provider.ts';
import type { KvEntry } from './kv-client.ts';

/**
 * Decodes a read of the KV root (Traefik's layout: `<root>/http/routers/<r>/rule`, `.../entrypoints/0`)
 * into configuration, through the codec labels use too. Folder keys (ending in `/`) are skipped. A key that
 * does not decode disables only the item it belongs to, with a diagnostic naming the key and value.
 */
export function decodeKvEntries(
  entries: readonly KvEntry[],
  rootKey: string,
  provider: string,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  const root = rootKey.replace(/\/+$/, '');
  const flat = entries.filter((e) => !e.key.endsWith('/')).map((e) => ({ key: e.key, value: e.value }));
  return decodeFlatKeys(flat, { style: 'kv', root, source: provider, subject: `Consul KV ${root}/` });
}
