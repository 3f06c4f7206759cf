import type { Diagnostic } from '../../config/diagnostics.ts';
import type { MergedConfig } from '../reload/merge.ts';
import { provisionSteps } from './provision.ts';
import { resolveRoutingSteps } from './resolve-routing.ts';
import { runSync, type Steps } from './slices.ts';
import type { CompileDeps, RoutingTable } from './table-types.ts';

export type {
  AcmeDemand,
  CompileDeps,
  CompiledRoute,
  EntryPointSpec,
  ProvisionDeps,
  ResolveDeps,
  RoutingTable,
  TlsRuntime,
} from './table-types.ts';

/**
 * Compiles merged configuration into a routing table in two steps: `resolveRouting` (pure: the plan of
 * routes, chains, services and middlewares to build, runtime info and diagnostics; what `wharf check`
 * shows) and `provision` (builds services and middleware instances, reusing the serving generation's while
 * unchanged, and indexes the routes). Deterministic for the same input and previous generation. Bad items
 * are isolated: a router with a bad rule or a missing or failed service or middleware is disabled and
 * reported; every other router is served. If provisioning throws unexpectedly, what it built anew is
 * closed and the error propagates, so the caller keeps the serving table.
 */
export function compile(
  merged: MergedConfig,
  deps: CompileDeps,
): { table: RoutingTable; diagnostics: Diagnostic[] } {
  return runSync(compileSteps(merged, deps));
}

/**
 * compile, pausing every few routers: the reloader runs it in slices (router/compile/slices.ts) so that
 * requests are served while a large configuration compiles.
 */
export function* compileSteps(
  merged: MergedConfig,
  deps: CompileDeps,
): Steps<{ table: RoutingTable; diagnostics: Diagnostic[] }> {
  const plan = yield* resolveRoutingSteps(merged, deps);
  return yield* provisionSteps(plan, deps);
}
