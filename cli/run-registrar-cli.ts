import { flushCompileCache } from 'node:module';
import { loadRegistrarConfig, type RegistrarConfig } from '../config/registrar.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { activeAllocator } from '../core/node-flags.ts';
import { VERSION } from '../core/version.ts';
import { checkHealthFile, type HealthState, writeHealth } from '../registrar/health.ts';
import { Registrar } from '../registrar/registrar.ts';
import { RegistrarMetrics } from '../registrar/registrar-metrics.ts';
import { parseCommand } from './parse-command.ts';
import { startupError } from './startup-error.ts';

const HELP = `wharf-registrar ${VERSION}: publishes this Docker host's labelled containers into Consul KV.

Usage:
  wharf-registrar [--configFile=FILE] [--key.path=value ...]   run the registrar
  wharf-registrar healthcheck [--configFile=FILE] [flags]      exit 0 if the running registrar is healthy
  wharf-registrar version                                      print the version

Configuration comes from FILE (YAML, TOML or JSON), WHARF_REGISTRAR_* environment variables
(WHARF_REGISTRAR_CONSUL_ENDPOINTS=consul:8500) and flags (--registrar.hostId=node-1); flags beat env
beat file. It listens on no port. Docs: docs/registrar.md, docs/reference/registrar.md
`;

/** How often the health file is rewritten even when nothing changes (its age is what healthcheck reads). */
const HEARTBEAT_MS = 5_000;

/** Runs the registrar CLI and returns the process exit code. */
export async function runRegistrarCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const parsed = parseCommand(argv, {
    program: 'wharf-registrar',
    defaultCommand: 'run',
    commands: ['healthcheck'],
    help: HELP,
  });
  if ('exit' in parsed) return parsed.exit;
  const { command, args } = parsed;
  const loaded = loadRegistrarConfig({ args, env });
  if (!loaded.ok) {
    process.stderr.write(
      `wharf-registrar: invalid configuration:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    return 1;
  }
  for (const w of loaded.warnings) process.stderr.write(`wharf-registrar: warning: ${w}\n`);
  const config = loaded.config;
  if (command === 'healthcheck') {
    const { healthy, reason } = checkHealthFile(config.registrar.healthFile, config.registrar.healthMaxAge);
    (healthy ? process.stdout : process.stderr).write(`${healthy ? 'healthy' : 'unhealthy'}: ${reason}\n`);
    return healthy ? 0 : 1;
  }
  let logger: Logger;
  try {
    logger = createLogger(config.log);
  } catch (err) {
    process.stderr.write(`wharf-registrar: ${startupError(err)}\n`);
    return 1;
  }
  return run(config, loaded.configFile, logger, env);
}

async function run(
  config: RegistrarConfig,
  configFile: string | undefined,
  logger: Logger,
  env: Record<string, string | undefined>,
): Promise<number> {
  const r = config.registrar;
  const file = r.healthFile;
  let latest: HealthState | undefined;
  const metrics = r.metricsFile !== undefined ? new RegistrarMetrics() : undefined;
  const saveMetrics = () => {
    if (!metrics || r.metricsFile === undefined) return;
    const out = r.metricsFile;
    metrics
      .write(out)
      .catch((err: unknown) =>
        logger.error({ metricsFile: out, err: (err as Error).message }, 'cannot write the metrics file'),
      );
  };
  const save = () => {
    saveMetrics();
    if (!latest) return;
    try {
      writeHealth(file, { ...latest, updatedAt: Date.now() });
    } catch (err) {
      logger.error({ healthFile: file, err: (err as Error).message }, 'cannot write the health file');
    }
  };
  let registrar: Registrar;
  try {
    registrar = new Registrar({
      docker: config.providers.docker,
      consul: config.consul,
      ...(r.hostId !== undefined && { hostId: r.hostId }),
      address: r.address === 'host' ? { mode: 'host', hostIP: r.hostIP as string } : { mode: 'container' },
      ttlMs: r.ttl,
      logger,
      ...(metrics ? { metrics } : {}),
      env,
      onHealth: (state) => {
        const changed = latest?.docker !== state.docker || latest?.consul !== state.consul;
        latest = state;
        if (changed) save();
      },
    });
  } catch (err) {
    // Bad start-up input (an unreadable consul.tls file): said with its code, not as a crash.
    logger.fatal(startupError(err));
    return 1;
  }
  latest = registrar.state;
  save();
  const heartbeat = setInterval(save, HEARTBEAT_MS);
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping; the host session is left to expire unless a registrar takes it over');
    stop.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  logger.info({ version: VERSION, configFile, allocator: activeAllocator() }, 'wharf-registrar started');
  // Write the compile cache bin/launch.js turned on now, not only at a clean exit (see bin/launch.js).
  flushCompileCache();
  try {
    await registrar.run(stop.signal);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'registrar failed');
    return 1;
  } finally {
    clearInterval(heartbeat);
  }
  logger.info('stopped');
  return 0;
}
