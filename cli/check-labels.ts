import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig } from '../config/dynamic.ts';
import { middlewareKind } from '../config/dynamic.ts';
import { formatError } from '../config/errors.ts';
import { loadStaticConfig } from '../config/load-static.ts';
import { parseQualifiedName, qualifyName } from '../config/names.ts';
import { DockerProviderSchema } from '../config/static.ts';
import {
  containerName,
  type DockerDecodeOptions,
  decodeContainer,
  decodeContainers,
} from '../providers/docker/decode.ts';
import { resolveRouting } from '../router/compile/resolve-routing.ts';
import { merge } from '../router/reload/merge.ts';
import { readLabelsInput } from './check-labels-input.ts';

/** What `wharf check --labels` found: the report to print and how many errors it holds. */
export interface LabelCheck {
  readonly output: string;
  readonly errors: number;
}

/**
 * Decodes a labels file (KEY=VALUE lines or a compose file) as the Docker provider would and reports
 * the routers, services, middlewares and every problem, with the label at fault and a suggestion.
 */
export function checkLabelsText(text: string, file: string, opts: DockerDecodeOptions): LabelCheck {
  const input = readLabelsInput(text, file, opts);
  const lines: string[] = [];
  const names = input.containers.map(containerName);
  const project = input.project !== undefined ? ` (compose project "${input.project}")` : '';
  lines.push(`${file}: ${names.length} container(s)${project}: ${names.join(', ')}`);
  for (const c of input.containers) {
    const skipped = decodeContainer(c, opts).skipped;
    if (skipped !== undefined) lines.push(`  skipped ${containerName(c)}: ${skipped}`);
  }
  const { config, diagnostics } = decodeContainers(input.containers, opts);
  const all = [...diagnostics, ...references(config, diagnostics)];
  lines.push(...describeConfig(config));
  if (input.errors.length + all.length > 0) lines.push('problems:');
  for (const e of input.errors) lines.push(`  error: ${e}`);
  for (const d of all) lines.push(...diagnosticLines(d));
  if (all.some((d) => d.code === 'DOCKER_NO_PORT'))
    lines.push("note: check cannot see the image's EXPOSE ports; set the port label or `expose:` to be sure");
  const errors = input.errors.length + all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - all.filter((d) => d.severity === 'error').length;
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
    out.push(
      `  ${name}@docker  ${servers === undefined ? Object.keys(s).join(',') : `servers: ${servers || '(none)'}`}`,
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
 * What compile would say about the decoded labels: the diagnostics of its pure step (rules, references,
 * chains, services, TLS options). Labels alone cannot show items of other providers, the static
 * configuration's entryPoints or its certificate resolvers, so those the labels name are assumed to exist:
 * stand-ins are planned in their place, and only what the labels themselves get wrong is reported.
 */
function references(config: DynamicConfig, found: readonly Diagnostic[]): Diagnostic[] {
  const merged = merge([{ provider: 'docker', config, diagnostics: [...found] }]);
  const entryPoints = new Set(['http']);
  const resolvers = new Set<string>();
  const tlsOptions = new Map<string, Record<string, object>>();
  const foreign = (ref: string) => {
    const q = qualifyName(ref, 'docker');
    const provider = parseQualifiedName(q).provider ?? 'docker';
    return provider === 'docker' ? undefined : { q, provider, name: parseQualifiedName(q).name };
  };
  for (const { config: r } of merged.routers.values()) {
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
  const tls = [
    ...merged.tls,
    ...[...tlsOptions].map(([provider, options]) => ({ provider, config: { options } })),
  ];
  return resolveRouting(
    { ...merged, tls },
    {
      entryPoints: [...entryPoints].map((name) => ({ name, middlewares: [], isDefault: true })),
      certResolvers: resolvers,
    },
  ).diagnostics;
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
): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    write(`error: ${formatError('CONFIG_READ_ERROR', { file, problem: (err as Error).message })}\n`);
    return 1;
  }
  const result = checkLabelsText(text, file, opts);
  write(result.output);
  return result.errors > 0 ? 1 : 0;
}

/** True when the arguments of `wharf check` ask for a labels check. */
export function wantsLabelCheck(args: readonly string[]): boolean {
  return args.some((a) => a === '--labels' || a.startsWith('--labels='));
}

/**
 * `wharf check --labels FILE [static flags]`: the provider options come from the static configuration
 * (`--providers.docker.labelPrefix=traefik`, a config file, WHARF_* variables), else the defaults.
 */
export function runLabelCheck(args: readonly string[], env: Record<string, string | undefined>): number {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--labels') file = args[++i];
    else if (a.startsWith('--labels=')) file = a.slice('--labels='.length);
    else rest.push(a);
  }
  if (file === undefined || file === '' || file.startsWith('--')) {
    process.stderr.write('wharf check: --labels needs a file: KEY=VALUE lines or a compose file\n');
    return 2;
  }
  const loaded = loadStaticConfig({ args: rest, env });
  if (!loaded.ok) {
    process.stderr.write(
      `wharf: invalid static configuration:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    return 1;
  }
  for (const w of loaded.warnings) process.stderr.write(`wharf: warning: ${w}\n`);
  return checkLabels(file, loaded.config.providers.docker ?? DockerProviderSchema.parse({}));
}
