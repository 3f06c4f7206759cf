import { flushCompileCache } from 'node:module';
import { WharfError } from '../config/errors.ts';
import { loadStaticConfig } from '../config/load-static.ts';
import { INTERNAL_ENTRYPOINT } from '../config/static.ts';
import { Agent, request } from '../core/http-client.ts';
import { createLogger, logDestination } from '../core/log.ts';
import { activeAllocator } from '../core/node-flags.ts';
import { VERSION } from '../core/version.ts';
import { resolveEntryPoints } from '../router/entry-points.ts';
import { parseAddress } from '../router/http/parse-address.ts';
import { Wharf } from '../router/wharf.ts';
import { runLabelCheck, wantsLabelCheck } from './check-labels.ts';
import { checkOffline } from './check-offline.ts';
import { parseCommand } from './parse-command.ts';
import { startupError } from './startup-error.ts';

const HELP = `Wharf ${VERSION}: a container-aware edge router with Traefik v3's configuration.

Usage:
  wharf [--configFile=FILE] [--key.path=value ...]   run the router
  wharf check [--configFile=FILE] [flags]            validate static and dynamic configuration offline
  wharf check --labels FILE [flags]                  decode Docker labels (KEY=VALUE lines or a compose
                                                     file) as providers.docker would; print the result
  wharf healthcheck [--configFile=FILE] [flags]      exit 0 if the running router's /ping answers 200
  wharf version                                      print the version

Static configuration comes from FILE (YAML, TOML or JSON), WHARF_* environment variables
(WHARF_ENTRYPOINTS_WEB_ADDRESS=:80) and flags (--entryPoints.web.address=:80); flags beat env beat file.
Docs: docs/configuration.md
`;

/** Runs the CLI and returns the process exit code. */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const parsed = parseCommand(argv, {
    program: 'wharf',
    defaultCommand: 'serve',
    commands: ['check', 'healthcheck'],
    help: HELP,
  });
  if ('exit' in parsed) return parsed.exit;
  const { command, args } = parsed;
  if (command === 'check' && wantsLabelCheck(args)) return runLabelCheck(args, env);
  const loaded = loadStaticConfig({ args, env });
  if (!loaded.ok) {
    process.stderr.write(
      `wharf: invalid static configuration:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    return 1;
  }
  for (const w of loaded.warnings) process.stderr.write(`wharf: warning: ${w}\n`);
  const config = loaded.config;
  if (command === 'check') return checkOffline(config, loaded.configFile);
  if (command === 'healthcheck') return healthcheck(config);

  let logger: ReturnType<typeof createLogger>;
  let logOutput: ReturnType<typeof logDestination>;
  try {
    logOutput = logDestination(config.log);
    logger = createLogger(config.log, logOutput);
  } catch (err) {
    process.stderr.write(`wharf: ${startupError(err)}\n`);
    return 1;
  }
  let wharf: Wharf;
  try {
    wharf = await Wharf.start({ staticConfig: config, logger });
  } catch (err) {
    logger.fatal(err instanceof WharfError ? { code: err.code } : { err }, (err as Error).message);
    return 1;
  }
  logger.info(
    { version: VERSION, configFile: loaded.configFile, allocator: activeAllocator() },
    'Wharf started',
  );
  const reopen = () => {
    logger.info('closing and reopening log files for rotation (SIGUSR1)');
    logOutput.reopen();
    wharf.reopenAccessLog();
  };
  // Write the compile cache bin/launch.js turned on now, not only at a clean exit (see bin/launch.js).
  flushCompileCache();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'stopping: draining requests in flight');
      wharf.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    // As Traefik: logrotate moved the files, start new ones. A listener also keeps Node from starting its
    // inspector on SIGUSR1.
    process.on('SIGUSR1', reopen);
  });
  process.off('SIGUSR1', reopen);
  logger.info('stopped');
  return 0;
}

/** GETs /ping on the entryPoint that serves it; 0 when it answers 200. */
async function healthcheck(config: Parameters<typeof resolveEntryPoints>[0]): Promise<number> {
  if (!config.ping) {
    process.stderr.write(
      'wharf healthcheck: ping is not enabled; add `ping: {}` to the static configuration\n',
    );
    return 1;
  }
  const ep = resolveEntryPoints(config)[config.ping.entryPoint ?? INTERNAL_ENTRYPOINT];
  const addr = ep && parseAddress(ep.address);
  if (!addr) {
    process.stderr.write(
      `wharf healthcheck: entryPoint "${config.ping.entryPoint}" for ping is not defined\n`,
    );
    return 1;
  }
  const host = !addr.host || addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host === '::' ? '::1' : addr.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/ping`;
  const dispatcher = new Agent();
  try {
    const res = await request(url, { dispatcher, signal: AbortSignal.timeout(5000) });
    await res.body.dump();
    process.stdout.write(`${url}: ${res.statusCode}\n`);
    return res.statusCode === 200 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`wharf healthcheck: ${url}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await dispatcher.close();
  }
}
