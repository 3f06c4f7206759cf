import type { DynamicConfig } from '../../config/dynamic.ts';
import { formatError } from '../../config/errors.ts';
import { stableStringify } from '../../router/stable-stringify.ts';
import type { Diagnostic } from '../provider.ts';

type Section = 'routers' | 'services' | 'middlewares';
const KIND = { routers: 'router', services: 'service', middlewares: 'middleware' } as const;
const CODE = {
  routers: 'ROUTER_CONFLICT',
  services: 'SERVICE_CONFLICT',
  middlewares: 'MIDDLEWARE_CONFLICT',
} as const;
const PARAM = { routers: 'router', services: 'service', middlewares: 'middleware' } as const;

/**
 * Merges the configurations of several files of one provider. An item defined identically in several
 * files is kept once; defined differently, it is left out with an error naming every file (Traefik
 * keeps whichever it read first, which depends on file order).
 */
export function mergeFileConfigs(parts: ReadonlyArray<{ file: string; config: DynamicConfig }>): {
  config: DynamicConfig;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const http: Record<Section, Record<string, unknown>> = { routers: {}, services: {}, middlewares: {} };
  const tls: NonNullable<DynamicConfig['tls']> = {};
  for (const section of ['routers', 'services', 'middlewares'] as const) {
    const seen = new Map<string, { files: string[]; keys: Set<string>; value: unknown }>();
    for (const { file, config } of parts) {
      for (const [name, value] of Object.entries(config.http?.[section] ?? {})) {
        const entry = seen.get(name) ?? { files: [] as string[], keys: new Set<string>(), value };
        entry.files.push(file);
        entry.keys.add(stableStringify(value));
        seen.set(name, entry);
      }
    }
    for (const [name, entry] of seen) {
      if (entry.keys.size === 1) {
        http[section][name] = entry.value;
        continue;
      }
      const message = formatError(CODE[section], {
        [PARAM[section]]: name,
        sources: entry.files.join(' and '),
      });
      diagnostics.push({
        source: 'file',
        subject: entry.files.join(', '),
        code: CODE[section],
        message,
        severity: 'error',
        item: { kind: KIND[section], name },
      });
    }
  }
  for (const { config } of parts) {
    if (config.tls?.certificates)
      tls.certificates = [...(tls.certificates ?? []), ...config.tls.certificates];
    if (config.tls?.options) tls.options = { ...tls.options, ...config.tls.options };
    if (config.tls?.stores) tls.stores = { ...tls.stores, ...config.tls.stores };
  }
  const config: DynamicConfig = { http: http as DynamicConfig['http'] };
  if (Object.keys(tls).length > 0) config.tls = tls;
  return { config, diagnostics };
}
