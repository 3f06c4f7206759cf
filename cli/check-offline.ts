import type { Diagnostic } from '../config/diagnostics.ts';
import type { StaticConfig } from '../config/static.ts';
import { silentLogger } from '../core/log.ts';
import { enabledInternalServices } from '../router/api/internal-services.ts';
import { INTERNAL_PROVIDER, resolveRouting } from '../router/compile/resolve-routing.ts';
import { defaultProviders } from '../router/default-providers.ts';
import { entryPointSpecs, resolveEntryPoints } from '../router/entry-points.ts';
import { merge } from '../router/reload/merge.ts';
import { checkStatic } from '../router/static-checks.ts';

function line(d: Diagnostic): string {
  const where = d.key ? ` [${d.key}]` : '';
  return `${d.severity === 'error' ? 'error' : 'warning'} ${d.code}: ${d.message}${where}${d.suggestion ? ` (did you mean "${d.suggestion}"?)` : ''}`;
}

/**
 * `wharf check`: validates the static configuration and every dynamic file it points at, without
 * listening or contacting servers; prints each problem with its place, returns 1 if any is an error.
 */
export async function checkOffline(config: StaticConfig, configFile: string | undefined): Promise<number> {
  const out: string[] = [];
  let errors = 0;
  const eps = resolveEntryPoints(config);
  for (const d of checkStatic(config, eps)) {
    out.push(line(d));
    if (d.severity === 'error') errors++;
  }
  const logger = silentLogger();
  const snapshots = [];
  // Offline: only files are read. Docker labels are checked with `wharf check --labels FILE`.
  if (config.providers.docker)
    out.push('note: providers.docker is not contacted by check; use `wharf check --labels FILE`');
  if (config.providers.consul) out.push('note: providers.consul is not contacted by check');
  for (const provider of defaultProviders(config, logger).filter((p) => p.name === 'file')) {
    const controller = new AbortController();
    for await (const snap of provider.watch(controller.signal)) {
      snapshots.push(snap);
      controller.abort();
      break;
    }
  }
  const merged = merge(snapshots);
  // Only the pure step of compile: nothing is built, so no health check or pool is started.
  const plan = resolveRouting(merged, {
    entryPoints: entryPointSpecs(eps),
    certResolvers: new Set(Object.keys(config.certificatesResolvers ?? {})),
    // A router naming api@internal is checked against what the static configuration enables.
    internalServices: enabledInternalServices(config),
    defaultRuleSyntax: config.core?.defaultRuleSyntax ?? 'v3',
  });
  for (const d of [...merged.diagnostics, ...plan.diagnostics]) {
    out.push(line(d));
    if (d.severity === 'error') errors++;
  }
  const { info } = plan;
  // The summary counts the user's configuration, not Wharf's internal services (noop@internal, ...).
  const services = [...info.services.values()].filter((s) => s.provider !== INTERNAL_PROVIDER).length;
  process.stdout.write(`${out.join('\n')}${out.length ? '\n' : ''}`);
  process.stdout.write(
    `${configFile ?? '(no config file)'}: ${info.routers.size} router(s), ${services} service(s), ${info.middlewares.size} middleware(s); ${errors} error(s)\n`,
  );
  return errors > 0 ? 1 : 0;
}
