import { formatError } from '../../config/errors.ts';
import type { Diagnostic, DiagnosticItem } from '../../providers/provider.ts';
import type { MergedConfig } from '../merge.ts';

/**
 * Warnings for options Wharf accepts (so Traefik files load unchanged) but does not act on yet. The item
 * still serves; the warning says what is ignored, so nobody relies on it unknowingly.
 */
export function unsupportedOptionWarnings(merged: MergedConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warn = (subject: string, item: DiagnosticItem | undefined, key: string, what: string) => {
    const d: Diagnostic = {
      source: 'compile',
      subject,
      code: 'CONFIG_UNSUPPORTED',
      message: formatError('CONFIG_UNSUPPORTED', { key, what }),
      severity: 'warning',
    };
    out.push(item ? { ...d, item } : d);
  };
  const plain = (q: string) => q.slice(0, q.lastIndexOf('@'));
  for (const [q, s] of merged.services) {
    const lb = s.loadBalancer;
    const item = { kind: 'service' as const, name: plain(q) };
    if (lb?.strategy && lb.strategy !== 'wrr') {
      warn(
        q,
        item,
        `service "${q}" loadBalancer.strategy`,
        `strategy "${lb.strategy}" (Wharf balances with wrr)`,
      );
    }
    if (lb?.serversTransport)
      warn(q, item, `service "${q}" loadBalancer.serversTransport`, 'a named servers transport');
    if (lb?.healthCheck?.followRedirects === true) {
      warn(
        q,
        item,
        `service "${q}" loadBalancer.healthCheck.followRedirects`,
        'following redirects (a 3xx answer counts as healthy)',
      );
    }
  }
  for (const [q, r] of merged.routers) {
    if (r.config.ruleSyntax && r.config.ruleSyntax !== 'v3') {
      warn(
        q,
        { kind: 'router', name: plain(q) },
        `router "${q}" ruleSyntax`,
        `rule syntax "${r.config.ruleSyntax}" (rules are read as v3)`,
      );
    }
  }
  for (const { provider, config } of merged.tls) {
    if (config.certificates?.length || config.options || config.stores) {
      warn(
        `tls@${provider}`,
        { kind: 'tls', name: 'tls' },
        `tls (provider ${provider})`,
        'serving TLS certificates and options (HTTPS arrives with the TLS issue)',
      );
    }
  }
  return out;
}
