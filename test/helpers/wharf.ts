import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { stringify } from 'yaml';
import { type StaticConfigInput, StaticConfigSchema } from '../../config/static.ts';
import { silentLogger } from '../../core/log.ts';
import type { Clock } from '../../middleware/clock.ts';
import type { Provider } from '../../providers/provider.ts';
import { Wharf } from '../../router/wharf.ts';
import { until } from './backends.ts';

/** A Wharf started for a test: its ports, its dynamic file, and helpers to reload and query it. */
export interface TestWharf {
  readonly wharf: Wharf;
  readonly dir: string;
  readonly dynamicFile: string;
  /** http://127.0.0.1:<web port> */
  readonly web: string;
  /** http://127.0.0.1:<internal port> */
  readonly api: string;
  /** The JSON log lines Wharf wrote (debug and up), with `logs: true`; empty otherwise. */
  readonly logs: ReadonlyArray<{ level: number; msg: string; [k: string]: unknown }>;
  /** Writes a new dynamic file and waits until the reload that follows it is in service. */
  reload(dynamic: unknown): Promise<void>;
  /** Writes raw text as the dynamic file (for broken files) and waits for the provider to report. */
  writeRaw(text: string): Promise<void>;
  /** GET an API path and parse its JSON. */
  getJson<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** Starts Wharf on loopback port 0 with a file provider on a temp YAML file holding `dynamic`. */
export async function startWharf(
  dynamic: unknown,
  extra: Partial<StaticConfigInput> = {},
  options: {
    waitReady?: boolean;
    /** Keep Wharf's log lines in `logs` (a test that waits for something Wharf logs). */
    logs?: boolean;
    /** Providers instead of those the static configuration names (e.g. one with an injected clock). */
    providers?: Provider[];
    /** WharfOptions.reloadSliceMs: 0 hands the event loop back at every pause point of a reload. */
    reloadSliceMs?: number;
    /** The clock middlewares count time with (a test advances it by hand). */
    clock?: Clock;
  } = {},
): Promise<TestWharf> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-test-'));
  const dynamicFile = join(dir, 'dynamic.yml');
  await writeFile(dynamicFile, stringify(dynamic));
  const staticConfig = StaticConfigSchema.parse({
    entryPoints: { web: { address: '127.0.0.1:0' }, wharf: { address: '127.0.0.1:0' } },
    providers: { providersThrottleDuration: '0s', file: { filename: dynamicFile, watch: true } },
    api: { insecure: true },
    ping: {},
    ...extra,
  });
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = options.logs
    ? pino({ level: 'debug', base: undefined }, { write: (line: string) => logs.push(JSON.parse(line)) })
    : silentLogger();
  const wharf = await Wharf.start({
    staticConfig,
    logger,
    ...(options.providers ? { providers: options.providers } : {}),
    ...(options.reloadSliceMs !== undefined ? { reloadSliceMs: options.reloadSliceMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // A provider that cannot reach its source yields nothing; tests of that case do not wait for it.
  if (options.waitReady !== false) await wharf.ready;
  const web = `http://127.0.0.1:${wharf.port('web')}`;
  const api = `http://127.0.0.1:${wharf.port('wharf')}`;
  const waitForReload = async (write: () => Promise<void>) => {
    const before = wharf.reloader.reloads;
    await write();
    await until(() => wharf.reloader.reloads > before, 'a reload after writing the dynamic file', 10_000);
  };
  return {
    wharf,
    dir,
    dynamicFile,
    web,
    api,
    logs,
    reload: (d) => waitForReload(() => writeFile(dynamicFile, stringify(d))),
    writeRaw: (text) => waitForReload(() => writeFile(dynamicFile, text)),
    getJson: async <T>(path: string) => {
      const res = await request(api + path);
      return { status: res.statusCode, body: (await res.body.json()) as T };
    },
    stop: async () => {
      await wharf.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** GET through Wharf with a Host header; returns status, headers and text body. */
export async function get(
  base: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(base + path, { headers: { host, ...headers } });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}
