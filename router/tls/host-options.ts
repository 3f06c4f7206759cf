import type { RuleAst } from '../../core/rules/rule-parser.ts';
import { DEFAULT_OPTIONS } from './build-tls.ts';

/** Per entryPoint: host name → the TLS options that connections for that server name (SNI) get. */
export type HostOptions = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** A host for which TLS routers name different options; its connections get the default options. */
export interface HostOptionsConflict {
  readonly entryPoint: string;
  readonly host: string;
  /** Routers and the options each names. */
  readonly routers: ReadonlyArray<{ router: string; options: string }>;
}

/** Every `Host(...)` argument of a rule, lower case, without a trailing dot (Traefik's ParseDomains). */
export function ruleHosts(ast: RuleAst): string[] {
  const out: string[] = [];
  const walk = (node: RuleAst): void => {
    if (node.type === 'matcher') {
      if (node.name === 'Host') for (const a of node.args) out.push(normalizeHost(a));
    } else if (node.type === 'not') walk(node.expr);
    else {
      walk(node.left);
      walk(node.right);
    }
  };
  walk(ast);
  return [...new Set(out.filter((h) => h !== ''))];
}

const normalizeHost = (h: string) => {
  const lower = h.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
};

/**
 * Collects, per entryPoint, which TLS options each host's routers name; then decides as Traefik does: the
 * options of the routers whose Host matches the server name, or `default` for hosts whose routers disagree
 * (reported) and for server names no Host rule names.
 */
export class HostOptionsBuilder {
  readonly #seen = new Map<string, Map<string, Array<{ router: string; options: string }>>>();

  /** Records that `router`, served over TLS on `entryPoint`, names `options` and matches `hosts`. */
  add(entryPoint: string, hosts: readonly string[], router: string, options: string): void {
    let byHost = this.#seen.get(entryPoint);
    if (!byHost) {
      byHost = new Map();
      this.#seen.set(entryPoint, byHost);
    }
    for (const host of hosts) {
      const list = byHost.get(host) ?? [];
      list.push({ router, options });
      byHost.set(host, list);
    }
  }

  /** The decided map and the hosts whose routers disagree. */
  build(): { hostOptions: HostOptions; conflicts: HostOptionsConflict[] } {
    const hostOptions = new Map<string, Map<string, string>>();
    const conflicts: HostOptionsConflict[] = [];
    for (const [entryPoint, byHost] of this.#seen) {
      const decided = new Map<string, string>();
      for (const [host, routers] of byHost) {
        const names = new Set(routers.map((r) => r.options));
        if (names.size === 1) decided.set(host, routers[0]!.options);
        else {
          decided.set(host, DEFAULT_OPTIONS);
          conflicts.push({ entryPoint, host, routers });
        }
      }
      hostOptions.set(entryPoint, decided);
    }
    return { hostOptions, conflicts };
  }
}

/** A server name or Host as names compare: lower case, without the trailing dot of a fully qualified name. */
export function normalizeServerName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The TLS options for a server name on an entryPoint: those of its routers' Host, else `default`. Exact
 * names first, then a `*.parent` Host for one-label names under it.
 */
export function optionsForServerName(
  hostOptions: HostOptions,
  entryPoint: string,
  name: string | undefined,
): string {
  const serverName = name === undefined ? undefined : normalizeServerName(name);
  if (!serverName) return DEFAULT_OPTIONS;
  const byHost = hostOptions.get(entryPoint);
  if (!byHost) return DEFAULT_OPTIONS;
  const exact = byHost.get(serverName);
  if (exact) return exact;
  const dot = serverName.indexOf('.');
  return (dot > 0 ? byHost.get(`*${serverName.slice(dot)}`) : undefined) ?? DEFAULT_OPTIONS;
}
