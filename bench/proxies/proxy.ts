import type { ProxyName } from '../args.ts';
import type { Started } from '../procs.ts';
import type { Scenario } from '../scenarios.ts';

/** What a proxy needs to write its configuration and start. */
export interface ProxyContext {
  /** A fresh folder of its own under bench/.tmp/ for config, logs and state. */
  readonly dir: string;
  readonly scenario: Scenario;
  /** Port of the upstream on 127.0.0.1. */
  readonly backendPort: number;
  /** Port the proxy listens on at 127.0.0.1 (the load goes there). */
  readonly port: number;
  /** CPU list to pin the proxy to, or undefined. */
  readonly cpu: string | undefined;
  /** Absolute path of the proxy's executable. */
  readonly bin: string;
  /** Extra command-line arguments (Wharf: static-configuration flags from --wharf-arg). */
  readonly extraArgs?: readonly string[];
  /** Wharf only: tracing on at this sample rate, exporting OTLP/HTTP to `endpoint` (a local sink). */
  readonly tracing?: { readonly sampleRate: number; readonly endpoint: string };
}

/** A proxy under test: writes the scenario's configuration and starts with one worker/thread. */
export interface ProxyDef {
  readonly name: ProxyName;
  /** Starts the proxy; resolves once its process is up (the harness then polls the route). */
  start(ctx: ProxyContext): Promise<Started>;
}
