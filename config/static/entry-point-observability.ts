import { z } from 'zod';

// `entryPoints.<name>.observability` (Traefik v3.7, pkg/config/static/entrypoints.go ObservabilityConfig):
// the defaults of the routers on the entryPoint; a router's own `observability` key wins, key by key.

/** What routers on an entryPoint produce unless they say otherwise. */
export const EntryPointObservabilitySchema = z.strictObject({
  accessLogs: z
    .boolean()
    .optional()
    .describe(
      'Access log lines for the routers on this entryPoint and its unmatched requests (default true)',
    ),
  metrics: z.boolean().optional().describe('Metrics for the routers on this entryPoint (default true)'),
  tracing: z.boolean().optional().describe('Traces for the routers on this entryPoint (default true)'),
  traceVerbosity: z
    .enum(['minimal', 'detailed'])
    .optional()
    .describe('Tracing verbosity of the routers on this entryPoint: minimal (default) or detailed'),
});

/** An entryPoint's `observability` section. */
export type EntryPointObservability = z.infer<typeof EntryPointObservabilitySchema>;

/**
 * The entryPoints that set `observability.<key>`, with the value: the default of the routers on them (and
 * of their unmatched requests). EntryPoints that leave it unset are absent (Traefik's default: on, minimal).
 */
export function entryPointObservability<K extends keyof EntryPointObservability>(
  entryPoints: Readonly<Record<string, { observability?: EntryPointObservability | undefined }>>,
  key: K,
): Map<string, NonNullable<EntryPointObservability[K]>> {
  const out = new Map<string, NonNullable<EntryPointObservability[K]>>();
  for (const [name, ep] of Object.entries(entryPoints)) {
    const value = ep.observability?.[key];
    if (value !== undefined && value !== null) out.set(name, value);
  }
  return out;
}
