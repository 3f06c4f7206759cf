import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../core/log.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import type { AccessLog } from '../access-log/access-log.ts';
import type { ForwardedHeadersPolicy } from '../proxy/forwarded-headers.ts';
import type { TableRef } from '../reload/table-ref.ts';
import type { Tracing } from '../tracing/tracing.ts';
import type { EntryPointExtras } from './entry-point-extras.ts';
import type { FdExhaustion } from './fd-exhaustion.ts';
import type { TargetPolicy } from './sanitize-target.ts';

/** Answers internal requests (API, ping) on this entryPoint; returns false to let routers handle it. */
export type InternalHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Everything an entryPoint listener needs, resolved from static configuration. */
export interface EntryPointOptions {
  readonly name: string;
  readonly host: string | undefined;
  readonly port: number;
  readonly tableRef: TableRef;
  readonly logger: Logger;
  readonly forwarded: ForwardedHeadersPolicy;
  readonly readTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** respondingTimeouts.writeTimeout: longest time from reading the request to the end of the response (0: none). */
  readonly writeTimeoutMs?: number;
  readonly accessLog?: AccessLog;
  readonly internal?: InternalHandler;
  /** Answers ACME HTTP-01 challenges (`/.well-known/acme-challenge/`) before redirections and routers. */
  readonly acmeHttp?: InternalHandler;
  /** Answers ACME TLS-ALPN-01 validations (ClientHellos offering `acme-tls/1`); false: serve normally. */
  readonly acmeTlsAlpn?: (raw: Socket, serverName: string | undefined) => boolean;
  /** entryPoints.<name>.http.redirections.entryPoint: a scheme, the target's port (read per request), permanent. */
  /** `priority`: a router of higher priority is served instead (absent: the redirection outranks all). */
  readonly redirect?: {
    scheme: string;
    port: () => string | undefined;
    permanent: boolean;
    priority?: number;
  };
  /** `http.sanitizePath` and `http.encodedCharacters`; absent: sanitize, deny no encoded character. */
  readonly target?: TargetPolicy;
  /** Where accept errors of the listener go (they never crash the process); absent: logged as errors. */
  readonly fdExhaustion?: FdExhaustion;
  /** Counts each finished request (router/metrics/request-metrics.ts); absent: metrics are off. */
  readonly metrics?: {
    record(req: IncomingMessage, res: ServerResponse, state: RequestState): void;
  };
  /** OpenTelemetry tracing (static `tracing`): a server span per routed request. */
  readonly tracing?: Tracing;
  /** proxyProtocol, keep-alive limits, maxHeaderBytes and the other options of entry-point-extras.ts. */
  readonly extras?: EntryPointExtras;
}
