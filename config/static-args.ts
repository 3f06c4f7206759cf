import type { FlatItem } from './flat-tree.ts';
import { type AnySchema, schemaAt, schemaNode } from './schema-keys.ts';

// Splits command-line flags (`--entryPoints.web.address=:80`) and environment variables
// (`WHARF_ENTRYPOINTS_WEB_ADDRESS=:80`) into flat items for buildFlatTree.

/** Flat items of one source, the config file it names, and problems that are not about a key. */
export interface StaticSource {
  readonly items: FlatItem[];
  readonly configFile?: string;
  readonly errors: string[];
}

/** The prefix of the router's environment variables. */
export const ENV_PREFIX = 'WHARF_';

/**
 * The prefix of the registrar's environment variables. It starts with the router's prefix, so the router
 * skips these: one .env file may configure both programs.
 */
export const REGISTRAR_ENV_PREFIX = 'WHARF_REGISTRAR_';

/** The example in the error about a stray argument, unless the caller gives its own. */
const FLAG_EXAMPLE = '--entryPoints.web.address=:80';

/** Splits `a.b[0].c` into segments and the text of each prefix (after `lead`). */
export function splitDotted(name: string, lead: string): { segments: string[]; prefixes: string[] } {
  const segments: string[] = [];
  const prefixes: string[] = [];
  let written = lead;
  name.split('.').forEach((part, i) => {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(part);
    const base = m ? (m[1] as string) : part;
    segments.push(base);
    written += (i === 0 ? '' : '.') + base;
    prefixes.push(written);
    for (const idx of m ? (m[2] as string).matchAll(/\[([^\]]*)\]/g) : []) {
      segments.push(idx[1] as string);
      written += `[${idx[1]}]`;
      prefixes.push(written);
    }
  });
  return { segments, prefixes };
}

/**
 * Flags: `--a.b=v`, `--a.b v`, and `--a.b` alone for booleans and sections (true). `example` is a flag of
 * this program's schema, shown when an argument is not a flag.
 */
export function parseFlags(args: readonly string[], schema: AnySchema, example = FLAG_EXAMPLE): StaticSource {
  const items: FlatItem[] = [];
  const errors: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      errors.push(`[CONFIG_UNKNOWN_KEY] unexpected argument "${arg}"; flags are written ${example}`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value = eq < 0 ? undefined : arg.slice(eq + 1);
    const next = args[i + 1];
    if (name.toLowerCase() === 'configfile') {
      if (value === undefined && next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
      if (value === undefined || value === '')
        errors.push(`[CONFIG_EMPTY_VALUE] --configFile: give the path of the file`);
      else configFile = value;
      continue;
    }
    const { segments, prefixes } = splitDotted(name, '--');
    if (value === undefined) {
      const target = schemaAt(schema, segments);
      const node = target && schemaNode(target);
      const flagLike = !node || node.kind === 'object' || (node.kind === 'scalar' && node.type === 'boolean');
      if (next !== undefined && !next.startsWith('--') && (!flagLike || /^(true|false)$/i.test(next))) {
        value = next;
        i++;
      } else value = flagLike ? 'true' : '';
    }
    items.push({ segments, prefixes, value });
  }
  return { items, errors, ...(configFile !== undefined && { configFile }) };
}

/**
 * Environment: `<prefix>ENTRYPOINTS_WEB_ADDRESS=:80` (prefix `WHARF_`); `<prefix>CONFIGFILE` names the
 * file; `WHARF_MALLOC` is the launcher's, not configuration. Variables starting with one of `ignore` (longer prefixes of other programs) are skipped.
 */
export function parseEnv(
  env: Record<string, string | undefined>,
  prefix: string,
  ignore: readonly string[] = [],
): StaticSource {
  const items: FlatItem[] = [];
  let configFile: string | undefined;
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !name.startsWith(prefix)) continue;
    if (ignore.some((other) => name.startsWith(other))) continue;
    const rest = name.slice(prefix.length);
    if (rest.toUpperCase() === 'CONFIGFILE') {
      if (value !== '') configFile = value;
      continue;
    }
    // WHARF_MALLOC chooses the allocator before the process starts (bin/launch.js, core/node-flags.ts).
    if (prefix === ENV_PREFIX && rest.toUpperCase() === 'MALLOC') continue;
    const segments = rest.split('_');
    const prefixes = segments.map((_, i) => prefix + segments.slice(0, i + 1).join('_'));
    items.push({ segments, prefixes, value });
  }
  return { items, errors: [], ...(configFile !== undefined && { configFile }) };
}
