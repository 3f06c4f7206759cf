import type { RuleSyntax } from './rule-matcher.ts';

/**
 * The syntax a router's rule is read in: its `ruleSyntax` when set (Traefik reads any value but `v2` as
 * v3), else the static `core.defaultRuleSyntax`, else v3.
 */
export function ruleSyntaxOf(
  routerSyntax: string | undefined,
  defaultSyntax: RuleSyntax | undefined,
): RuleSyntax {
  if (routerSyntax !== undefined && routerSyntax !== '') return routerSyntax === 'v2' ? 'v2' : 'v3';
  return defaultSyntax ?? 'v3';
}
