import { z } from 'zod';

// Traefik v3.7's static `core` section (pkg/config/static/static_config.go `Core`). Descriptions are user
// documentation (docs/reference/static.md, docs/rules.md).

/** `core`: the default rule syntax of routers that set none. */
export const CoreSchema = z.strictObject({
  defaultRuleSyntax: z.enum(['v2', 'v3']).default('v3').meta({
    description:
      'Rule syntax of routers without ruleSyntax (default v3); v2 reads Traefik v2 rules. Deprecated by Traefik since v3.4: rewrite rules in v3 syntax',
    // A start-up warning, as Traefik logs one; the option still works.
    deprecated: true,
    replacement: 'Traefik deprecated it in v3.4; it still applies, but write rules in v3 syntax',
  }),
});
