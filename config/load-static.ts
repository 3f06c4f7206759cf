import { readFileSync } from 'node:fs';
import { type core, safeParse } from 'zod';
import {
  type ConfigIssue,
  type ConfigPath,
  canonicalize,
  isPlainObject,
  issueMessage,
  type UnsupportedKeys,
} from './canonicalize.ts';
import { parseConfigText } from './config-file.ts';
import { formatError } from './errors.ts';
import { buildFlatTree, type FlatTreeOptions } from './flat-tree.ts';
import { type AnySchema, unwrapSchema } from './schema-keys.ts';
import { AccessLogSchema } from './static/access-log.ts';
import { LogSchema } from './static/log.ts';
import { MetricsSchema } from './static/metrics.ts';
import { mergeUnsupported, STATIC_UNSUPPORTED_KEYS } from './static/unsupported.ts';
import {
  EntryPointSchema,
  type StaticConfig,
  StaticConfigSchema,
  StaticServersTransportSchema,
} from './static.ts';
import { ENV_PREFIX, parseEnv, parseFlags, REGISTRAR_ENV_PREFIX, type StaticSource } from './static-args.ts';
import { dottedKey } from './validate-dynamic.ts';
import { valueAt, withoutRestatedMissing, zodToConfigIssues } from './zod-issues.ts';

// A program's configuration comes from a file (--configFile), environment variables under its prefix and
// flags; flags beat env beat file, merged key by key. Every problem is collected, each naming the key as
// the user wrote it and where (file and line, variable, flag), before anything starts. The router
// (loadStaticConfig) and the registrar (loadRegistrarConfig) differ only in schema and prefix.

/** Where a configuration is read from. */
export interface LoadStaticOptions {
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  /** Reads the config file (default: fs.readFileSync as UTF-8). */
  readonly readFile?: (path: string) => string;
}

/** Where a configuration is read from, and what it is checked against. */
export interface LoadConfigOptions<S extends AnySchema> extends LoadStaticOptions {
  /** The whole configuration (strict objects; defaults are applied by the schema). */
  readonly schema: S;
  /** The program's environment variables start with this, e.g. `WHARF_`; its file is `<prefix>CONFIGFILE`. */
  readonly envPrefix: string;
  /** Longer prefixes that belong to other programs; their variables are skipped. */
  readonly envIgnore?: readonly string[];
  /** Known keys ignored with a warning instead of an error. */
  readonly unsupported?: UnsupportedKeys;
  /** A flag of this schema, shown when an argument is not a flag (default `--entryPoints.web.address=:80`). */
  readonly flagExample?: string;
}

/** The validated configuration (defaults applied), or every problem found. */
export type LoadConfigResult<T> =
  | { ok: true; config: T; configFile?: string; warnings: string[] }
  | { ok: false; errors: string[] };

/** The validated static configuration (defaults applied), or every problem found. */
export type LoadStaticResult = LoadConfigResult<StaticConfig>;

// Traefik sections a Traefik static file commonly has and Wharf ignores: a warning, not an error.
const STATIC_UNSUPPORTED: UnsupportedKeys = new Map<AnySchema, Record<string, string>>([
  [
    unwrapSchema(StaticConfigSchema),
    Object.fromEntries(
      ['global', 'tcpServersTransport']
        .concat(['experimental', 'hostResolver', 'spiffe', 'ocsp'])
        .map((k) => [k, `the "${k}" section`]),
    ),
  ],
  [
    unwrapSchema(StaticConfigSchema.shape.providers),
    Object.fromEntries(
      ['swarm', 'consulCatalog', 'etcd', 'redis', 'zooKeeper', 'http', 'rest', 'nomad', 'ecs']
        .concat(['kubernetesCRD', 'kubernetesIngress', 'kubernetesGateway', 'plugin'])
        .map((k) => [k, `the ${k} provider`]),
    ),
  ],
  [
    unwrapSchema(StaticServersTransportSchema),
    {
      spiffe: 'SPIFFE verification of servers',
    },
  ],
  [
    unwrapSchema(MetricsSchema),
    Object.fromEntries(['datadog', 'statsD', 'influxDB2'].map((k) => [k, `the ${k} metrics exporter`])),
  ],
  [
    unwrapSchema(EntryPointSchema),
    Object.fromEntries(
      ['http2', 'http3', 'udp', 'allowACMEByPass'].map((k) => [k, `the entryPoint option "${k}"`]),
    ),
  ],
  // OpenTelemetry export of logs (Traefik's experimental otlpLogs): lines still go to the file or stdout.
  [unwrapSchema(AccessLogSchema), { otlp: 'OpenTelemetry export of the access log (accessLog.otlp)' }],
  [unwrapSchema(LogSchema), { otlp: 'OpenTelemetry export of the log (log.otlp)' }],
]);

/** One source after decoding: its canonical tree and how its keys are shown. */
interface Loaded {
  readonly tree: unknown;
  /** The key as the user wrote it, for a path. */
  readonly keyText: (path: ConfigPath) => string;
  /** " (flag)", " (wharf.yml, line 3)". */
  readonly where: (path: ConfigPath) => string;
}

/** What every source is decoded against. */
interface Target {
  readonly schema: AnySchema;
  readonly unsupported: UnsupportedKeys | undefined;
  readonly report: (issue: ConfigIssue, src: Loaded) => void;
}

/** Loads and validates the router's static configuration from a file, WHARF_* variables and flags. */
export function loadStaticConfig(opts: LoadStaticOptions): LoadStaticResult {
  return loadConfig({
    ...opts,
    schema: StaticConfigSchema,
    envPrefix: ENV_PREFIX,
    envIgnore: [REGISTRAR_ENV_PREFIX],
    unsupported: mergeUnsupported(STATIC_UNSUPPORTED, STATIC_UNSUPPORTED_KEYS),
  });
}

/** Loads and validates a program's configuration from a file, environment variables and flags. */
export function loadConfig<S extends AnySchema>(
  opts: LoadConfigOptions<S>,
): LoadConfigResult<core.output<S>> {
  const { schema, envPrefix } = opts;
  const errors: string[] = [];
  const warnings: string[] = [];
  const reported: ConfigIssue[] = [];
  const report = (issue: ConfigIssue, src: Loaded) => {
    reported.push(issue);
    const parent = issue.path.slice(0, -1);
    const suggestion =
      issue.suggestion === undefined ? undefined : src.keyText([...parent, issue.suggestion]);
    const line = `[${issue.code}] ${issueMessage(issue, issue.key ?? src.keyText(issue.path), suggestion)}${src.where(issue.path)}`;
    (issue.severity === 'error' ? errors : warnings).push(line);
  };
  const target: Target = { schema, unsupported: opts.unsupported, report };
  const flags = parseFlags(opts.args, schema, opts.flagExample);
  const env = parseEnv(opts.env, envPrefix, opts.envIgnore);
  errors.push(...flags.errors);
  const configFile = flags.configFile ?? env.configFile;
  const sources: Loaded[] = []; // highest precedence first
  sources.push(fromFlat(flags, '--', '.', {}, ' (flag)', target));
  sources.push(
    fromFlat(
      env,
      envPrefix.replace(/_$/, ''),
      '_',
      { joinNames: '_', lowerCaseNames: true },
      ' (environment)',
      target,
    ),
  );
  if (configFile !== undefined) {
    const file = fromFile(configFile, opts.readFile ?? ((p) => readFileSync(p, 'utf8')), target, errors);
    if (file) sources.push(file);
  }
  const merged = sources.reduceRight<unknown>((acc, src) => merge(acc, src.tree), {});
  const parsed = safeParse(schema, merged);
  if (!parsed.success) {
    const issues = withoutRestatedMissing(
      zodToConfigIssues(parsed.error.issues, [], merged),
      reported,
      merged,
    );
    for (const issue of issues) report(issue, owner(sources, issue.path));
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data, ...(configFile !== undefined && { configFile }), warnings };
}

function fromFlat(
  source: StaticSource,
  rootKey: string,
  sep: string,
  options: FlatTreeOptions,
  where: string,
  target: Target,
): Loaded {
  const built = buildFlatTree(source.items, target.schema, rootKey, options);
  const keyText = (path: ConfigPath) => {
    const { key, depth } = built.written(path);
    const rest = path.slice(depth).map((p) => (sep === '_' ? String(p).toUpperCase() : String(p)));
    if (depth === 0) return rootKey === '--' ? `--${rest.join(sep)}` : [rootKey, ...rest].join(sep);
    return [key, ...rest].join(sep);
  };
  const loaded: Loaded = { tree: undefined, keyText, where: () => where };
  const canon = canonicalize(built.tree, target.schema, [], { unsupported: target.unsupported });
  for (const issue of [...built.issues, ...canon.issues]) target.report(issue, loaded);
  return { ...loaded, tree: canon.value };
}

function fromFile(
  path: string,
  readFile: (path: string) => string,
  target: Target,
  errors: string[],
): Loaded | undefined {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    errors.push(
      `[CONFIG_READ_ERROR] ${formatError('CONFIG_READ_ERROR', { file: path, problem: (err as Error).message })}`,
    );
    return undefined;
  }
  const parsed = parseConfigText(text, path);
  if (!parsed.ok) {
    const at =
      parsed.line === undefined
        ? ''
        : ` (line ${parsed.line}${parsed.column === undefined ? '' : `, column ${parsed.column}`})`;
    errors.push(
      `[CONFIG_PARSE_ERROR] ${formatError('CONFIG_PARSE_ERROR', { file: path, where: at, problem: parsed.message })}`,
    );
    return undefined;
  }
  const where = (p: ConfigPath) => {
    const line = parsed.locate(p);
    return line === undefined ? ` (${path})` : ` (${path}, ${line})`;
  };
  const loaded: Loaded = { tree: undefined, keyText: dottedKey, where };
  const canon = canonicalize(parsed.value ?? {}, target.schema, [], { unsupported: target.unsupported });
  for (const issue of canon.issues) target.report(issue, loaded);
  return { ...loaded, tree: canon.value };
}

/** Deep merge where `over` wins; lists and values are replaced whole. */
function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** The source a validation problem belongs to: the highest one holding the key, else the deepest prefix. */
function owner(sources: readonly Loaded[], path: ConfigPath): Loaded {
  let best = sources[0] as Loaded;
  let bestDepth = -1;
  for (const src of sources) {
    for (let depth = path.length; depth > bestDepth; depth--) {
      if (valueAt(src.tree, path.slice(0, depth)) !== undefined) {
        best = src;
        bestDepth = depth;
        break;
      }
    }
  }
  return best;
}
