import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig } from '../config/dynamic.ts';
import { middlewareKind } from '../config/dynamic.ts';
import { formatError } from '../config/errors.ts';
import { loadStaticConfig } from '../config/load-static.ts';
import { parseQualifiedName, qualifyName } from '../config/names.ts';
import { DockerProviderSchema } from '../config/static.ts';
import type { RuleSyntax } from '../core/rules/rule-matcher.ts';
import {
  containerName,
  type DockerDecodeOptions,
  decodeContainer,
  decodeContainers,
} from '../providers/docker/decode.ts';
import type { Snapshot } from '../providers/provider.ts';
import { enabledInternalServices } from '../router/api/internal-services.ts';
import { INTERNAL_PROVIDER, resolveRouting } from '../router/compile/resolve-routing.ts';
import type { RoutingPlan } from '../router/compile/routing-plan.ts';
import type { InternalService } from '../router/compile/table-types.ts';
import { merge } from '../router/reload/merge.ts';
import { readLabelsInput } from './check-labels-input.ts';
import {
  composeVariables,
  fileSnapshots,
  labelCheckJson,
  parseLabelCheckArgs,
} from './check-labels-support.ts';
import type { Lookup } from './compose-interpolation.ts';

/** What `wharf check --labels` found: the report to print and how many errors it holds. */
export interface LabelCheck {
  readonly output: string;
  readonly errors: number;
}

/** How `wharf check --labels` checks: output format, compose variables, and what the router knows. */
export interface LabelCheckOptions {
  /** `text` (default) for people, `json` for CI: the derived configuration and the diagnostics. */
  readonly format?: 'text' | 'json';
  /** Compose variables (the environment, then `--env-file` or the `.env` beside the compose file). */
  readonly variables?: Lookup;
  /** Wharf's services as the static configuration enables them: `x@internal` is checked against these. */
  readonly internalServices?: ReadonlyMap<string, InternalService>;
  /** Other providers read offline (the file provider): references to their items are checked for real. */
  readonly snapshots?: readonly Snapshot[];
  /** The static `core.defaultRuleSyntax`. */
  readonly defaultRuleSyntax?: RuleSyntax;
}

/**
 * Decodes a labels file (KEY=VALUE lines or a compose file, interpolated as docker compose does) as the
 * Docker provider would and reports the routers, services, middlewares and every problem, with the label
 * at fault and a suggestion.
 */
export function checkLabelsText(
  text: string,
  file: string,
  opts: DockerDecodeOptions,
  check: LabelCheckOptions = {},
): LabelCheck {
  const input = readLabelsInput(text, file, opts, check.variables);
  const skipped: Record<string, string> = {};
  for (const c of input.containers) {
    const reason = decodeContainer(c, opts).skipped;
    if (reason !== undefined) skipped[containerName(c)] = reason;
  }
  const { config, diagnostics } = decodeContainers(input.containers, opts);
  const plan = references(config, diagnostics, check);
  const all = [...diagnostics, ...plan.diagnostics];
  const errors = input.errors.length + all.filter((d) => d.severity === 'error').length;
  const warnings = input.unresolved.length + all.length - all.filter((d) => d.severity === 'error').length;
  if (check.format === 'json') {
    const report = labelCheckJson({
      file,
      input,
      skipped,
      info: plan.info,
      diagnostics: all,
      errors,
      warnings,
    });
    return { output: `${JSON.stringify(report, null, 2)}\n`, errors };
  }
  const lines: string[] = [];
  const names = input.containers.map(containerName);
  const project = input.project !== undefined ? ` (compose project "${input.project}")` : '';
  lines.push(`${file}: ${names.length} container(s)${project}: ${names.join(', ')}`);
  for (const [name, reason] of Object.entries(skipped)) lines.push(`  skipped ${name}: ${reason}`);
  lines.push(...describeConfig(config));
  if (errors + warnings > 0) lines.push('problems:');
  for (const e of input.errors) lines.push(`  error: ${e}`);
  for (const v of input.unresolved)
    lines.push(`  warning: variable ${v} is not set; docker compose uses an empty string`);
  for (const d of all) lines.push(...diagnosticLines(d));
  if (all.some((d) => d.code === 'DOCKER_NO_PORT'))
    lines.push("note: check cannot see the image's EXPOSE ports; set the port label or `expose:` to be sure");
  const count = (s: keyof NonNullable<DynamicConfig['http']>) => Object.keys(config.http?.[s] ?? {}).length;
  lines.push(
    `${count('routers')} router(s), ${count('services')} service(s), ${count('middlewares')} middleware(s); ${errors} error(s), ${warnings} warning(s)`,
  );
  return { output: `${lines.join('\n')}\n`, errors };
}

function describeConfig(config: DynamicConfig): string[] {
  const out: string[] = [];
  const { routers = {}, services = {}, middlewares = {} } = config.http ?? {};
  if (Object.keys(routers).length > 0) out.push('routers:');
  for (const [name, r] of Object.entries(routers)) {
    const mws = r.middlewares?.length ? `  middlewares=${r.middlewares.join(',')}` : '';
    const eps = r.entryPoints?.length ? `  entryPoints=${r.entryPoints.join(',')}` : '';
    out.push(`  ${name}@docker  rule=${r.rule}  service=${r.service}${mws}${eps}${r.tls ? '  tls' : ''}`);
  }
  if (Object.keys(services).length > 0) out.push('services:');
  for (const [name, s] of Object.entries(services)) {
    const servers = s.loadBalancer?.servers?.map((v) => v.url).join(', ');
    const mws = s.middlewares?.length ? `  middlewares=${s.middlewares.join(',')}` : '';
    out.push(
      `  ${name}@docker  ${servers === undefined ? Object.keys(s).join(',') : `servers: ${servers || '(none)'}`}${mws}`,
    );
  }
  if (Object.keys(middlewares).length > 0) out.push('middlewares:');
  for (const [name, m] of Object.entries(middlewares)) {
    const kind = middlewareKind(m);
    const type = typeof kind === 'string' ? kind : '?';
    out.push(`  ${name}@docker  ${type} ${JSON.stringify(typeof kind === 'string' ? m[kind] : m)}`);
  }
  return out;
}

/**
 * What compile would say about the decoded labels: its pure step (rules, references, chains, services,
 * TLS options) over them and the other providers read offline. `x@internal` is checked against what the
 * static configuration enables, as the router checks it. Items of providers not read (Consul; files when
 * no file provider is configured), entryPoints and certificate resolvers the labels name are assumed to
 * exist: stand-ins are planned in their place, and only what the labels themselves get wrong is reported.
 */
function references(
  config: DynamicConfig,
  found: readonly Diagnostic[],
  check: LabelCheckOptions,
): RoutingPlan {
  const others = check.snapshots ?? [];
  const merged = merge([{ provider: 'docker', config, diagnostics: [...found] }, ...others]);
  const known = new Set(['docker', ...others.map((s) => s.provider)]);
  if (check.internalServices) known.add(INTERNAL_PROVIDER);
  const entryPoints = new Set(['http']);
  const resolvers = new Set<string>();
  const tlsOptions = new Map<string, Record<string, object>>();
  const foreign = (ref: string) => {
    const q = qualifyName(ref, 'docker');
    const provider = parseQualifiedName(q).provider ?? 'docker';
    return known.has(provider) ? undefined : { q, provider, name: parseQualifiedName(q).name };
  };
  for (const { provider, config: r } of merged.routers.values()) {
    if (provider !== 'docker') continue;
    for (const ep of r.entryPoints ?? []) entryPoints.add(ep);
    if (r.tls?.certResolver) resolvers.add(r.tls.certResolver);
    const service = r.service === undefined ? undefined : foreign(r.service);
    if (service) merged.services.set(service.q, { loadBalancer: { servers: [] } });
    for (const m of r.middlewares ?? []) {
      const middleware = foreign(m);
      if (middleware) merged.middlewares.set(middleware.q, { headers: {} });
    }
    const options = r.tls?.options ? foreign(r.tls.options) : undefined;
    if (options)
      tlsOptions.set(options.provider, { ...tlsOptions.get(options.provider), [options.name]: {} });
  }
  // A service's own middlewares (services.<s>.middlewares) may name other providers' too.
  for (const [q, svc] of merged.services) {
    if (!q.endsWith('@docker')) continue;
    for (const m of svc.middlewares ?? []) {
      const middleware = foreign(m);
      if (middleware) merged.middlewares.set(middleware.q, { headers: {} });
    }
  }
  const tls = [
    ...merged.tls,
    ...[...tlsOptions].map(([provider, options]) => ({ provider, config: { options } })),
  ];
  const plan = resolveRouting(
    { ...merged, tls },
    {
      entryPoints: [...entryPoints].map((name) => ({ name, middlewares: [], isDefault: true })),
      certResolvers: resolvers,
      ...(check.internalServices && { internalServices: check.internalServices }),
      ...(check.defaultRuleSyntax && { defaultRuleSyntax: check.defaultRuleSyntax }),
    },
  );
  // Only what concerns the labels: the other providers' own problems are `wharf check`'s to report.
  const ours = (d: Diagnostic) => !d.subject.includes('@') || d.subject.endsWith('@docker');
  return { ...plan, diagnostics: plan.diagnostics.filter(ours) };
}

function diagnosticLines(d: Diagnostic): string[] {
  const out = [`  ${d.severity} ${d.code} [${d.subject}]: ${d.message}`];
  if (d.key !== undefined) out.push(`      label: ${d.key}${d.value !== undefined ? `=${d.value}` : ''}`);
  if (d.suggestion !== undefined && d.key !== undefined) {
    // A typo suggests a key (its last segment); anything else suggests a value.
    const better =
      d.code === 'CONFIG_UNKNOWN_KEY'
        ? `${d.key.slice(0, d.key.lastIndexOf('.') + 1)}${d.suggestion}`
        : `${d.key}=${d.suggestion}`;
    out.push(`      did you mean: ${better}`);
  }
  return out;
}

/** Reads FILE and prints the label check; returns the exit code (1 if any error). */
export function checkLabels(
  file: string,
  opts: DockerDecodeOptions,
  write: (s: string) => void = (s) => process.stdout.write(s),
  check: LabelCheckOptions = {},
): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    write(`error: ${formatError('CONFIG_READ_ERROR', { file, problem: (err as Error).message })}\n`);
    return 1;
  }
  const result = checkLabelsText(text, file, opts, check);
  write(result.output);
  return result.errors > 0 ? 1 : 0;
}

/** True when the arguments of `wharf check` ask for a labels check. */
export function wantsLabelCheck(args: readonly string[]): boolean {
  return args.some((a) => a === '--labels' || a.startsWith('--labels='));
}

/**
 * `wharf check --labels FILE [--format json] [--env-file F]... [static flags]`: the provider options come
 * from the static configuration (`--providers.docker.labelPrefix=traefik`, a config file, WHARF_*
 * variables), else the defaults; a configured file provider is read once, so references to `x@file` are
 * checked; compose variables come from the environment, then the `--env-file`s (else `.env` beside FILE).
 */
export async function runLabelCheck(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const parsed = parseLabelCheckArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`wharf check: ${parsed}\n`);
    return 2;
  }
  const loaded = loadStaticConfig({ args: parsed.rest, env });
  if (!loaded.ok) {
    process.stderr.write(
      `wharf: invalid static configuration:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    return 1;
  }
  for (const w of loaded.warnings) process.stderr.write(`wharf: warning: ${w}\n`);
  const variables = composeVariables(parsed.file, parsed.envFiles, env);
  if (typeof variables === 'string') {
    process.stderr.write(`wharf check: ${variables}\n`);
    return 1;
  }
  const config = loaded.config;
  return checkLabels(parsed.file, config.providers.docker ?? DockerProviderSchema.parse({}), undefined, {
    format: parsed.format,
    variables,
    internalServices: enabledInternalServices(config),
    snapshots: await fileSnapshots(config),
    defaultRuleSyntax: config.core?.defaultRuleSyntax ?? 'v3',
  });
}
