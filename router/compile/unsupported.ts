import type { Diagnostic, DiagnosticItem } from '../../config/diagnostics.ts';
import { formatError } from '../../config/errors.ts';
import { parseQualifiedName } from '../../config/names.ts';
import type { MergedConfig } from '../reload/merge.ts';

/**
 * Warnings for values Wharf replaces with defaults, as Traefik does (non-positive health-check durations,
 * an unknown ruleSyntax). The item still serves; the warning says what is used instead.
 */
export function unsupportedOptionWarnings(merged: MergedConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push = (
    subject: string,
    item: DiagnosticItem | undefined,
    code: 'CONFIG_INVALID_VALUE',
    message: string,
  ) => {
    const d: Diagnostic = { source: 'compile', subject, code, message, severity: 'warning' };
    out.push(item ? { ...d, item } : d);
  };
  const plain = (q: string) => parseQualifiedName(q).name;
  for (const [q, s] of merged.services) {
    const lb = s.loadBalancer;
    const item = { kind: 'service' as const, name: plain(q) };
    for (const key of ['interval', 'unhealthyInterval', 'timeout'] as const) {
      const ms = lb?.healthCheck?.[key];
      if (ms !== undefined && ms <= 0) {
        const problem = `${ms}ms is not more than 0; the default is used (Traefik does the same)`;
        push(
          q,
          item,
          'CONFIG_INVALID_VALUE',
          formatError('CONFIG_INVALID_VALUE', {
            key: `service "${q}" loadBalancer.healthCheck.${key}`,
            problem,
          }),
        );
      }
    }
  }
  for (const [q, r] of merged.routers) {
    // v2 and v3 are both read (core/rules/rule-parser-v2.ts); Traefik reads any other value as v3.
    const syntax = r.config.ruleSyntax;
    if (syntax !== undefined && syntax !== '' && syntax !== 'v2' && syntax !== 'v3') {
      const problem = `rule syntax "${syntax}" is neither v2 nor v3; the rule is read as v3, as Traefik does`;
      push(
        q,
        { kind: 'router', name: plain(q) },
        'CONFIG_INVALID_VALUE',
        formatError('CONFIG_INVALID_VALUE', { key: `router "${q}" ruleSyntax`, problem }),
      );
    }
  }
  return out;
}
