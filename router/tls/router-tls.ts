import type { RouterConfig } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { DEFAULT_OPTIONS, type TlsState } from './build-tls.ts';
import type { HostOptionsConflict } from './host-options.ts';

type RouterTls = NonNullable<RouterConfig['tls']>;

/** A certificate request's names: `main` and the subject alternative names (Traefik's types.Domain). */
export interface AcmeDomain {
  readonly main?: string | undefined;
  readonly sans?: readonly string[] | undefined;
}

/** An entryPoint's TLS defaults (`entryPoints.<name>.http.tls`), as compile sees them. */
interface EntryPointTls {
  readonly tls?: {
    readonly options?: string | undefined;
    readonly certResolver?: string | undefined;
    readonly domains?: readonly AcmeDomain[] | undefined;
  };
}

/**
 * The options name a router's `tls.options` refers to: `default` when unset, the global `default` as
 * written, otherwise qualified with the router's provider (Traefik namespaces TLS options like middlewares).
 */
export function tlsOptionsName(reference: string | undefined, provider: string): string {
  if (!reference || reference === DEFAULT_OPTIONS) return DEFAULT_OPTIONS;
  return qualifyName(reference, provider);
}

/** `; did you mean modern@file?` when an option of that name exists under another provider. */
function hint(name: string, state: TlsState): string {
  const plain = parseQualifiedName(name).name;
  const near = [...state.options.keys(), ...state.invalidOptions.keys()].find(
    (n) => parseQualifiedName(n).name === plain && n !== name,
  );
  return near ? `; did you mean ${near}?` : '';
}

/**
 * How a router is served on each of its entryPoints: over TLS with the options its `tls` (or the
 * entryPoint's `http.tls`, Traefik's router template) names, or on plain HTTP when neither sets `tls`.
 * Errors disable the router (unknown or invalid options); warnings keep it (a certResolver that no
 * `certificatesResolvers` entry defines: the router is served with the configured or default certificate).
 * `resolver` and `domains` say which resolver gets its certificate, for which names (`tls.domains`, else
 * the caller takes the Host rule's names).
 */
export function resolveRouterTls(
  router: string,
  provider: string,
  tls: RouterTls | undefined,
  using: readonly string[],
  entryPoints: ReadonlyMap<string, EntryPointTls>,
  state: TlsState,
  resolvers: ReadonlySet<string> = new Set(),
): {
  options: Map<string, string>;
  resolver: string | undefined;
  domains: readonly AcmeDomain[] | undefined;
  errors: Array<{ code: ErrorCode; message: string }>;
  warnings: Array<{ code: ErrorCode; message: string }>;
  shown: object | undefined;
} {
  const options = new Map<string, string>();
  const errors: Array<{ code: ErrorCode; message: string }> = [];
  const warnings: Array<{ code: ErrorCode; message: string }> = [];
  let shown: object | undefined = tls;
  let resolver: string | undefined;
  let domains: readonly AcmeDomain[] | undefined;
  for (const ep of using) {
    const effective = tls ?? entryPoints.get(ep)?.tls;
    if (!effective) continue;
    shown ??= effective;
    if (!resolver && effective.certResolver) {
      resolver = effective.certResolver;
      domains = effective.domains;
    }
    const name = tlsOptionsName(effective.options, provider);
    options.set(ep, name);
    if (state.options.has(name)) continue;
    const why = state.invalidOptions.get(name);
    const code: ErrorCode = why ? 'ROUTER_DISABLED_DEPENDENCY' : 'ROUTER_TLS_OPTIONS_MISSING';
    const message = why
      ? formatError(code, { router, kind: 'tls option', name, reason: why })
      : formatError(code, { router, options: name, hint: hint(name, state) });
    if (!errors.some((e) => e.message === message)) errors.push({ code, message });
  }
  if (resolver && !resolvers.has(resolver)) {
    warnings.push({
      code: 'ROUTER_CERT_RESOLVER_UNKNOWN',
      message: formatError('ROUTER_CERT_RESOLVER_UNKNOWN', {
        router,
        resolver,
        known: resolvers.size > 0 ? [...resolvers].join(', ') : 'none',
      }),
    });
    resolver = undefined;
  }
  return { options, resolver, domains: resolver ? domains : undefined, errors, warnings, shown };
}

/** One warning per router on a host whose TLS routers name different options (Traefik warns the same). */
export function conflictWarnings(
  conflicts: readonly HostOptionsConflict[],
): Array<{ router: string; message: string }> {
  return conflicts.flatMap((c) => {
    const options = c.routers.map((r) => `${r.router}: ${r.options}`).join(', ');
    return c.routers.map(({ router }) => ({
      router,
      message: formatError('ROUTER_TLS_OPTIONS_CONFLICT', {
        router,
        host: c.host,
        options,
        entryPoint: c.entryPoint,
      }),
    }));
  });
}
