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

/** The prefix of environment variables. */
export const ENV_PREFIX = 'WHARF_';

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

/** Flags: `--a.b=v`, `--a.b v`, and `--a.b` alone for booleans and sections (true). */
export function parseFlags(args: readonly string[], schema: AnySchema): StaticSource {
  const items: FlatItem[] = [];
  const errors: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      errors.push(
        `[CONFIG_UNKNOWN_KEY] unexpected argument "${arg}"; flags are written --entryPoints.web.address=:80`,
      );
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

/** Environment: `WHARF_ENTRYPOINTS_WEB_ADDRESS=:80`; `WHARF_CONFIGFILE` names the file. */
export function parseEnv(env: Record<string, string | undefined>): StaticSource {
  const items: FlatItem[] = [];
  let configFile: string | undefined;
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !name.startsWith(ENV_PREFIX)) continue;
    const rest = name.slice(ENV_PREFIX.length);
    if (rest.toUpperCase() === 'CONFIGFILE') {
      if (value !== '') configFile = value;
      continue;
    }
    const segments = rest.split('_');
    const prefixes = segments.map((_, i) => ENV_PREFIX + segments.slice(0, i + 1).join('_'));
    items.push({ segments, prefixes, value });
  }
  return { items, errors: [], ...(configFile !== undefined && { configFile }) };
}
