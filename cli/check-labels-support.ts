import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { StaticConfig } from '../config/static.ts';
import { silentLogger } from '../core/log.ts';
import type { Snapshot } from '../providers/provider.ts';
import type { RuntimeInfo } from '../router/compile/runtime-info.ts';
import { defaultProviders } from '../router/default-providers.ts';
import type { LabelsInput } from './check-labels-input.ts';
import { type Lookup, parseEnvFile } from './compose-interpolation.ts';

// The parts of `wharf check --labels` around the check itself: its arguments, the compose variables, the
// file provider read once, and the JSON report.

/** The arguments `wharf check --labels` takes itself; the rest are static configuration flags. */
export interface LabelCheckArgs {
  readonly file: string;
  readonly format: 'text' | 'json';
  readonly envFiles: string[];
  readonly rest: string[];
}

/** Reads `--labels FILE`, `--format text|json` and `--env-file F` (repeatable); a problem as a sentence. */
export function parseLabelCheckArgs(args: readonly string[]): LabelCheckArgs | string {
  const rest: string[] = [];
  const envFiles: string[] = [];
  let file: string | undefined;
  let format = 'text';
  const value = (a: string, name: string, i: number): [string | undefined, number] =>
    a === name ? [args[i + 1], i + 1] : [a.slice(name.length + 1), i];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const flag = ['--labels', '--format', '--env-file'].find((f) => a === f || a.startsWith(`${f}=`));
    if (flag === undefined) {
      rest.push(a);
      continue;
    }
    const [v, at] = value(a, flag, i);
    i = at;
    if (flag === '--labels') file = v;
    else if (flag === '--format') format = v ?? '';
    else if (v !== undefined && v !== '' && !v.startsWith('--')) envFiles.push(v);
    else return '--env-file needs a file of KEY=VALUE lines';
  }
  if (file === undefined || file === '' || file.startsWith('--'))
    return '--labels needs a file: KEY=VALUE lines or a compose file';
  if (format !== 'text' && format !== 'json') return `--format is text or json, not "${format}"`;
  return { file, format, envFiles, rest };
}

/**
 * The variables a compose file is interpolated with, in docker compose's order: the environment wins,
 * then the `--env-file`s (later ones override earlier ones), or without them the `.env` file beside the
 * compose file; a problem as a sentence when an env file cannot be read or parsed.
 */
export function composeVariables(
  composeFile: string,
  envFiles: readonly string[],
  env: Record<string, string | undefined>,
): Lookup | string {
  const beside = join(dirname(composeFile), '.env');
  const files = envFiles.length > 0 ? envFiles : existsSync(beside) ? [beside] : [];
  const fromFiles = new Map<string, string>();
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      return `cannot read env file ${f}: ${(err as Error).message}`;
    }
    const parsed = parseEnvFile(text, (name) => env[name] ?? fromFiles.get(name));
    if (parsed.errors.length > 0) return `env file ${f}: ${parsed.errors.join('; ')}`;
    for (const [k, v] of parsed.vars) fromFiles.set(k, v);
  }
  return (name) => env[name] ?? fromFiles.get(name);
}

/** The file provider's configuration, read once as `wharf check` reads it (none when not configured). */
export async function fileSnapshots(config: StaticConfig): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (const provider of defaultProviders(config, silentLogger()).filter((p) => p.name === 'file')) {
    const controller = new AbortController();
    for await (const snap of provider.watch(controller.signal)) {
      out.push(snap);
      controller.abort();
      break;
    }
  }
  return out;
}

/** What the JSON report is built from. */
export interface LabelCheckFacts {
  readonly file: string;
  readonly input: LabelsInput;
  readonly skipped: Record<string, string>;
  readonly info: RuntimeInfo;
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/**
 * `--format json`: every router, service and middleware the labels make, as the router holds it (the
 * API's runtime shape: options, qualified name, status, priority, entryPoints used, errors), the
 * diagnostics, the unresolved compose variables and the counts; stable for CI.
 */
export function labelCheckJson(f: LabelCheckFacts): Record<string, unknown> {
  const docker = <T extends { provider: string }>(m: ReadonlyMap<string, T>) =>
    Object.fromEntries([...m].filter(([, v]) => v.provider === 'docker'));
  return {
    file: f.file,
    kind: f.input.kind,
    ...(f.input.project !== undefined && { project: f.input.project }),
    containers: f.input.containers.map((c) => c.Name.replace(/^\//, '')),
    skipped: f.skipped,
    unresolvedVariables: f.input.unresolved,
    routers: docker(f.info.routers),
    services: docker(f.info.services),
    middlewares: docker(f.info.middlewares),
    inputErrors: f.input.errors,
    diagnostics: f.diagnostics,
    errors: f.errors,
    warnings: f.warnings,
  };
}
