import { join } from 'node:path';
import { describe } from 'vitest';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { goldenFiles } from '../../test/helpers/golden.ts';
import { merge } from '../reload/merge.ts';
import { resolveRouting } from './resolve-routing.ts';
import type { EntryPointSpec } from './table-types.ts';

// Merged configuration → plan (the pure step of compile), one case per file in test/golden/compile. Each
// file holds `snapshots` (provider, config, optional diagnostics), optional `entryPoints` (default: web,
// and the internal wharf entryPoint) and `certResolvers`, and `expected`. Refresh after an intended change
// with
//   UPDATE_GOLDEN=1 npx vitest run router/compile/golden.test.ts
// and review the diff.

const DIR = join(import.meta.dirname, '..', '..', 'test', 'golden', 'compile');

interface GoldenCase {
  description: string;
  snapshots: Array<{ provider: string; config: DynamicConfigInput; diagnostics?: Diagnostic[] }>;
  entryPoints?: EntryPointSpec[];
  certResolvers?: string[];
  expected: Expected | null;
}

interface Expected {
  /** Servable routers: where each is served and through which chain to which service. */
  routers: Record<string, { service: string; priority: number; routes: Record<string, string> }>;
  /** Services to build, and middlewares that can be built (provisioning makes instances for the routers using them). */
  build: { services: string[]; middlewares: Record<string, string> };
  /** What the API shows: status, and where routers are served or who uses an item. */
  info: {
    routers: Record<string, string>;
    services: Record<string, string>;
    middlewares: Record<string, string>;
  };
  tls: { hostOptions: Record<string, Record<string, string>>; acme: unknown[] };
  /** Severity, code and subject (messages are asserted by the unit tests, not here). */
  diagnostics: string[];
}

const DEFAULT_ENTRYPOINTS: EntryPointSpec[] = [
  { name: 'web', middlewares: [], isDefault: true },
  { name: 'wharf', middlewares: [], isDefault: false },
];

function run(golden: GoldenCase): Expected {
  const merged = merge(
    golden.snapshots.map((s) => ({
      provider: s.provider,
      config: DynamicConfigSchema.parse(s.config),
      diagnostics: s.diagnostics ?? [],
    })),
  );
  const plan = resolveRouting(merged, {
    entryPoints: golden.entryPoints ?? DEFAULT_ENTRYPOINTS,
    certResolvers: new Set(golden.certResolvers ?? []),
  });
  const list = (xs: readonly string[]) => (xs.length > 0 ? ` [${xs.join(', ')}]` : '');
  return {
    routers: Object.fromEntries(
      plan.routers.map((r) => [
        r.name,
        {
          service: r.service,
          priority: r.priority,
          routes: Object.fromEntries(
            r.routes.map((route) => [
              `${route.entryPoint}${route.secure ? ' (tls)' : ''}`,
              (plan.chains.get(route.chain) ?? []).join(' -> ') || '(no middlewares)',
            ]),
          ),
        },
      ]),
    ),
    build: {
      services: [...plan.services.keys()],
      middlewares: Object.fromEntries(
        [...plan.middlewares].map(([q, m]) => [
          q,
          `${m.kind}${m.perRouter ? ' per router' : ''}${m.members.length > 0 ? ` of ${m.members.join(', ')}` : ''}`,
        ]),
      ),
    },
    info: {
      routers: Object.fromEntries([...plan.info.routers].map(([q, r]) => [q, `${r.status}${list(r.using)}`])),
      services: Object.fromEntries(
        [...plan.info.services].map(([q, s]) => [q, `${s.type} ${s.status}${list(s.usedBy)}`]),
      ),
      middlewares: Object.fromEntries(
        [...plan.info.middlewares].map(([q, m]) => [q, `${m.type} ${m.status}${list(m.usedBy)}`]),
      ),
    },
    tls: {
      hostOptions: Object.fromEntries(
        [...plan.tls.hostOptions].map(([ep, hosts]) => [ep, Object.fromEntries(hosts)]),
      ),
      acme: [...plan.acme],
    },
    diagnostics: plan.diagnostics.map((d) => `${d.severity} ${d.code} ${d.subject}`),
  };
}

describe('compile plan golden files', () => {
  goldenFiles<GoldenCase>(DIR, 6, run);
});
