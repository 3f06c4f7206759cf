import type { z } from 'zod';
import {
  type ConfigIssue,
  type ConfigPath,
  canonicalize,
  isPlainObject,
  issueMessage,
  scalarText,
} from './canonicalize.ts';
import type { Diagnostic, DiagnosticItem } from './diagnostics.ts';
import {
  CertificateSchema,
  type DynamicConfig,
  DynamicConfigSchema,
  MiddlewareSchema,
  middlewareKind,
  RouterSchema,
  ServersTransportSchema,
  ServiceSchema,
  serviceKind,
  TlsConfigSchema,
  TlsOptionsSchema,
  TlsStoreSchema,
} from './dynamic.ts';
import { valueAt, withoutRestatedMissing, zodToConfigIssues } from './zod-issues.ts';

/** Where the input came from and how to show its keys; see validateDynamic. */
export interface ValidateContext {
  /** The provider or loader: 'file', 'docker', 'consul'. */
  readonly source: string;
  /** A file path, container name or KV root. */
  readonly subject: string;
  /** Where a path is in the source text, e.g. "line 12"; appended to messages as ` (line 12)`. */
  readonly locate?: (path: ConfigPath) => string | undefined;
  /** How a path is shown in `key` and messages (default: `http.routers.web.tls.domains[0].main`). */
  readonly keyName?: (path: ConfigPath) => string;
  /** Problems a decoder found before validation; attributed to items like the others. */
  readonly issues?: readonly ConfigIssue[];
}

const SECTIONS = [
  { section: 'routers', kind: 'router', schema: RouterSchema, check: undefined },
  {
    section: 'services',
    kind: 'service',
    schema: ServiceSchema,
    check: serviceKind,
    code: 'SERVICE_TYPE_COUNT',
  },
  {
    section: 'middlewares',
    kind: 'middleware',
    schema: MiddlewareSchema,
    check: middlewareKind,
    code: 'MIDDLEWARE_TYPE_COUNT',
  },
  {
    section: 'serversTransports',
    kind: 'serversTransport',
    schema: ServersTransportSchema,
    check: undefined,
  },
] as const;

/** Shows a path the way a dynamic file spells it: `http.routers.web.tls.domains[0].main`. */
export function dottedKey(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The item (router, service, middleware, tls) a path belongs to, if any. */
export function itemOf(path: ConfigPath): DiagnosticItem | undefined {
  if (path[0] === 'tls') {
    // Each certificate, options entry and store is an item of its own: a bad one leaves out only itself.
    if (path[1] === 'certificates' && typeof path[2] === 'number')
      return { kind: 'tls', name: `certificates[${path[2]}]` };
    if ((path[1] === 'options' || path[1] === 'stores') && path.length >= 3)
      return { kind: 'tls', name: `${path[1]}.${String(path[2])}` };
    return { kind: 'tls', name: 'tls' };
  }
  if (path[0] !== 'http' || path.length < 3) return undefined;
  const sec = SECTIONS.find((s) => s.section === path[1]);
  return sec && { kind: sec.kind, name: String(path[2]) };
}

const itemId = (item: DiagnosticItem): string => `${item.kind}\u0000${item.name}`;

/**
 * Validates a dynamic configuration tree item by item: each router, service and middleware against its
 * schema, `tls` as a whole. Bad items are left out with one diagnostic per problem; the rest is returned
 * as the schema's output (durations in milliseconds). Keys are matched case-insensitively.
 */
export function validateDynamic(
  input: unknown,
  ctx: ValidateContext,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  return new Validation(ctx).run(input);
}

class Validation {
  readonly diagnostics: Diagnostic[] = [];
  readonly ctx: ValidateContext;
  root: unknown;
  byItem = new Map<string, ConfigIssue[]>();

  constructor(ctx: ValidateContext) {
    this.ctx = ctx;
  }

  run(input: unknown): { config: DynamicConfig; diagnostics: Diagnostic[] } {
    const canon = canonicalize(input, DynamicConfigSchema);
    this.root = canon.value;
    const loose: ConfigIssue[] = [];
    for (const issue of [...(this.ctx.issues ?? []), ...canon.issues]) {
      const item = itemOf(issue.path);
      if (!item) loose.push(issue);
      else this.byItem.set(itemId(item), [...(this.byItem.get(itemId(item)) ?? []), issue]);
    }
    for (const issue of loose) this.report(issue);
    const config: DynamicConfig = {};
    const root = this.root;
    if (root === undefined) return { config, diagnostics: this.diagnostics };
    if (!isPlainObject(root)) {
      this.invalid([], 'the configuration must be a map of sections (http, tls)');
      return { config, diagnostics: this.diagnostics };
    }
    if (root.http !== undefined) {
      if (!isPlainObject(root.http))
        this.invalid(['http'], 'must be a section (routers, services, middlewares)');
      else config.http = this.http(root.http);
    }
    const tls = this.tls(root.tls);
    if (tls !== undefined) config.tls = tls;
    // Issues of items that never made it into the tree (a decoder dropped their only key).
    for (const issues of this.byItem.values())
      for (const issue of issues) this.report(issue, itemOf(issue.path));
    return { config, diagnostics: this.diagnostics };
  }

  http(http: Record<string, unknown>): NonNullable<DynamicConfig['http']> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const sec of SECTIONS) {
      const items = http[sec.section];
      if (items === undefined) continue;
      if (!isPlainObject(items)) {
        this.invalid(['http', sec.section], `must be a map of ${sec.kind} names to ${sec.kind}s`);
        continue;
      }
      const valid: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(items)) {
        const item: DiagnosticItem = { kind: sec.kind, name };
        const path = ['http', sec.section, name];
        const earlier = this.takeIssues(item);
        let ok = !earlier.some((i) => i.severity === 'error');
        if (name.includes('@')) {
          this.report(
            { code: 'NAME_HAS_AT', severity: 'error', path, params: { kind: sec.kind, name } },
            item,
          );
          ok = false;
        }
        const parsed = sec.schema.safeParse(value);
        if (!parsed.success) {
          this.reportSchema(zodToConfigIssues(parsed.error.issues, path, value), earlier, item);
          continue;
        }
        if (ok && sec.check) {
          const kind = sec.check(parsed.data as never);
          if (typeof kind === 'object') {
            this.report(
              { code: sec.code, severity: 'error', path, params: { name, problem: kind.problem } },
              item,
            );
            ok = false;
          }
        }
        if (ok) valid[name] = parsed.data;
      }
      out[sec.section] = valid;
    }
    return out;
  }

  tls(value: unknown): DynamicConfig['tls'] {
    const item: DiagnosticItem = { kind: 'tls', name: 'tls' };
    const earlier = this.takeIssues(item);
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) {
      const parsed = TlsConfigSchema.safeParse(value);
      if (!parsed.success)
        this.reportSchema(zodToConfigIssues(parsed.error.issues, ['tls'], value), earlier, item);
      return undefined;
    }
    if (earlier.some((i) => i.severity === 'error')) return undefined;
    const out: NonNullable<DynamicConfig['tls']> = {};
    const { certificates, options, stores } = value;
    if (certificates !== undefined) {
      if (!Array.isArray(certificates))
        this.invalid(['tls', 'certificates'], 'must be a list of certificates');
      else {
        out.certificates = [];
        certificates.forEach((c, i) => {
          const parsed = this.tlsItem(['tls', 'certificates', i], `certificates[${i}]`, CertificateSchema, c);
          if (parsed) out.certificates?.push(parsed);
        });
      }
    }
    for (const section of ['options', 'stores'] as const) {
      const entries = section === 'options' ? options : stores;
      if (entries === undefined) continue;
      if (!isPlainObject(entries)) {
        this.invalid(['tls', section], `must be a map of names to ${section}`);
        continue;
      }
      const schema: z.ZodType = section === 'options' ? TlsOptionsSchema : TlsStoreSchema;
      const valid: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(entries)) {
        const parsed = this.tlsItem(['tls', section, name], `${section}.${name}`, schema, v);
        if (parsed !== undefined) valid[name] = parsed;
      }
      (out as Record<string, unknown>)[section] = valid;
    }
    return out;
  }

  /** Validates one tls item (a certificate, options entry or store); reports and drops it when bad. */
  tlsItem<T>(path: ConfigPath, name: string, schema: z.ZodType<T>, value: unknown): T | undefined {
    const item: DiagnosticItem = { kind: 'tls', name };
    const earlier = this.takeIssues(item);
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      this.reportSchema(zodToConfigIssues(parsed.error.issues, path, value), earlier, item);
      return undefined;
    }
    return earlier.some((i) => i.severity === 'error') ? undefined : parsed.data;
  }

  /** Reports the decoder and key issues of an item and returns them. */
  takeIssues(item: DiagnosticItem): ConfigIssue[] {
    const issues = this.byItem.get(itemId(item)) ?? [];
    this.byItem.delete(itemId(item));
    for (const issue of issues) this.report(issue, item);
    return issues;
  }

  /** Reports schema issues, except missing keys that only restate an earlier problem (a typo). */
  reportSchema(issues: ConfigIssue[], earlier: ConfigIssue[], item: DiagnosticItem): void {
    for (const issue of withoutRestatedMissing(issues, earlier, this.root)) this.report(issue, item);
  }

  invalid(path: ConfigPath, problem: string): void {
    this.report({ code: 'CONFIG_INVALID_VALUE', severity: 'error', path, params: { problem } });
  }

  report(issue: ConfigIssue, item?: DiagnosticItem): void {
    const key = issue.key ?? (this.ctx.keyName ?? dottedKey)(issue.path);
    const where = this.ctx.locate?.(issue.path);
    let message = issueMessage(issue, key) + (where ? ` (${where})` : '');
    if (item && issue.severity === 'error') {
      message +=
        item.kind === 'tls'
          ? item.name === 'tls'
            ? '; the tls section is left out'
            : `; tls.${item.name} is left out`
          : `; ${item.kind} "${item.name}" is left out`;
    }
    const value = issue.value ?? scalarText(valueAt(this.root, issue.path));
    this.diagnostics.push({
      source: this.ctx.source,
      subject: this.ctx.subject,
      code: issue.code,
      message,
      severity: issue.severity,
      ...(item && { item }),
      ...(key !== '' && { key }),
      ...(value !== undefined && { value }),
      ...(issue.suggestion !== undefined && { suggestion: issue.suggestion }),
    });
  }
}
