import type { Diagnostic } from '../config/diagnostics.ts';
import type { StaticConfig } from '../config/static.ts';
import { Agent } from '../core/http-client.ts';
import { silentLogger } from '../core/log.ts';
import { compile } from '../router/compile/compile.ts';
import { UpstreamPools } from '../router/proxy/upstream-pools.ts';
import { merge } from '../router/reload/merge.ts';
import { checkStatic } from '../router/static-checks.ts';
import { defaultProviders, entryPointSpecs, resolveEntryPoints } from '../router/wharf.ts';

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
  const pools = new UpstreamPools();
  const sideTraffic = new Agent();
  const merged = merge(snapshots);
  const entryPoints = entryPointSpecs(eps);
  // compile schedules health-check probes with a zero delay; closing the runtimes in the same tick
  // cancels them before any probe leaves, so check stays offline.
  const { table, diagnostics } = compile(merged, {
    entryPoints,
    pools,
    sideTraffic,
    logger,
    previousServices: new Map(),
  });
  for (const r of table.services.values()) r.close();
  await Promise.all([pools.close(), sideTraffic.close()]);
  for (const d of [...merged.diagnostics, ...diagnostics]) {
    out.push(line(d));
    if (d.severity === 'error') errors++;
  }
  const routers = table.info.routers.size;
  process.stdout.write(`${out.join('\n')}${out.length ? '\n' : ''}`);
  process.stdout.write(
    `${configFile ?? '(no config file)'}: ${routers} router(s), ${table.info.services.size} service(s), ${table.info.middlewares.size} middleware(s); ${errors} error(s)\n`,
  );
  return errors > 0 ? 1 : 0;
}
