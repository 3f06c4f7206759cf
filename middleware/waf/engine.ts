import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

// The waf middleware's engine: libmodsecurity3 through native/modsecurity.c, built by native/build.js when
// Debian's libmodsecurity-dev and a C compiler are present. Without it the waf middleware is unavailable
// (each waf middleware is disabled with WAF_UNAVAILABLE); nothing else depends on it.

/** Where native/build.js puts the addon. */
export const MODSECURITY_PATH = fileURLToPath(
  new URL('../../native/build/modsecurity.node', import.meta.url),
);

/** The commands that make the waf middleware available on Debian (its images run them). */
export const WAF_INSTALL_COMMAND =
  'apt-get install -y libmodsecurity3 libmodsecurity-dev modsecurity-crs, then npm run build:native';

/** A compiled rules set (opaque; freed when unreferenced and no transaction uses it). */
export type RulesHandle = { readonly __rules: unique symbol };
/** A ModSecurity transaction (opaque; freed by finish, or when garbage-collected). */
export type TransactionHandle = { readonly __transaction: unique symbol };

/** What one step of a transaction gives: the intervention and the rule messages of that step. */
export interface StepResult {
  /** The intervention's status (200 when none). */
  readonly status: number;
  /** True when a rule's disruptive action stops the request (never in DetectionOnly). */
  readonly disruptive: boolean;
  /** A redirect target (the redirect action). */
  readonly url: string | null;
  /** The disruptive rule's message, in ModSecurity's text form. */
  readonly log: string | null;
  /** Rule messages logged during the step, in ModSecurity's text form (see match-log.ts). */
  readonly messages: readonly string[];
}

/** What processRequest takes: the request as the client sent it (rawHeaders: [name, value, ...]). */
export type RequestStepArgs = [
  tx: TransactionHandle,
  clientIp: string,
  clientPort: number,
  serverIp: string,
  serverPort: number,
  method: string,
  uri: string,
  httpVersion: string,
  rawHeaders: readonly string[],
  body: Buffer | null,
];

/** The addon's functions (native/modsecurity.c documents them). */
export interface ModSecurityAddon {
  rulesFromFile(path: string): RulesHandle;
  rulesFromText(text: string): RulesHandle;
  newTransaction(rules: RulesHandle, id: string): TransactionHandle;
  processRequest(...args: RequestStepArgs): Promise<StepResult>;
  /** processRequest on the calling thread (benchmarks only). */
  processRequestSync(...args: RequestStepArgs): StepResult;
  processResponse(
    tx: TransactionHandle,
    status: number,
    protocol: string,
    rawHeaders: readonly string[],
    body: Buffer | null,
  ): Promise<StepResult>;
  finish(tx: TransactionHandle): Promise<StepResult>;
  /** How many engine threads the first step starts (1 to 64); returns the count in effect. */
  setThreads(n: number): number;
}

/**
 * The engine threads a process runs: twice the CPUs it may use (availableParallelism honours the CPU
 * affinity), at least 8, at most 64. More threads than CPUs on purpose: on a CPU shared by the event loop
 * and the engine, one or two engine threads left the event loop sleeping between events, so it was woken,
 * and preempted the engine, several times a request; with 8 it stays runnable and handles its events in
 * batches (bench/README.md, "waf engine threads": 1 thread 7.6 context switches a request, 8 threads ~1).
 */
export function engineThreads(cpus: number = availableParallelism()): number {
  return Math.min(64, Math.max(8, 2 * cpus));
}

/** The addon, or why it is not available. */
export type EngineLoad = { readonly addon: ModSecurityAddon } | { readonly reason: string };

let loaded: EngineLoad | undefined;

/** Loads the addon once per process (for the default path); the reason names the install command. */
export function modsecurityEngine(path: string = MODSECURITY_PATH): EngineLoad {
  if (loaded !== undefined && path === MODSECURITY_PATH) return loaded;
  let found: EngineLoad;
  if (!existsSync(path)) {
    found = { reason: `the ModSecurity addon is not built (${WAF_INSTALL_COMMAND})` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(path) as ModSecurityAddon;
      addon.setThreads(engineThreads());
      found = { addon };
    } catch (err) {
      found = {
        reason: `the ModSecurity addon ${path} does not load (${(err as Error).message}; ${WAF_INSTALL_COMMAND})`,
      };
    }
  }
  if (path === MODSECURITY_PATH) loaded = found;
  return found;
}
