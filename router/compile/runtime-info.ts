import type { MiddlewareConfig, ServiceConfig } from '../../config/dynamic.ts';

/** Traefik's status of a router, service or middleware in the API. */
export type ItemStatus = 'enabled' | 'disabled' | 'warning';

/** A router as the API shows it (Traefik's /api/http/routers shape). */
export interface RouterInfo {
  name: string;
  provider: string;
  rule?: string;
  service?: string;
  middlewares?: string[];
  entryPoints: string[];
  priority: number;
  tls?: object;
  status: ItemStatus;
  error?: string[];
  /** EntryPoints the router is actually served on. */
  using: string[];
  /** The router's own `observability` options, as configured. */
  observability?: { accessLogs?: boolean; metrics?: boolean; tracing?: boolean };
}

/** What the API adds to a service's or middleware's own configuration. */
interface ItemRuntime {
  name: string;
  provider: string;
  type: string;
  status: ItemStatus;
  error?: string[];
  usedBy: string[];
}

/** A service as the API shows it. */
export type ServiceInfo = ServiceConfig & ItemRuntime & { serverStatus?: Record<string, string> };

/** A middleware as the API shows it. */
export type MiddlewareInfo = MiddlewareConfig & ItemRuntime;

/** Everything the API reports about one generation. */
export interface RuntimeInfo {
  routers: Map<string, RouterInfo>;
  services: Map<string, ServiceInfo>;
  middlewares: Map<string, MiddlewareInfo>;
}

/**
 * Records a problem on a router, service or middleware, the one place its status changes (Traefik's
 * runtime.RouterInfo.AddError): a critical problem disables it (a disabled router is served nowhere),
 * another one makes an enabled item `warning`. A message already recorded is not repeated.
 */
export function addError(
  item: RouterInfo | ServiceInfo | MiddlewareInfo,
  message: string,
  critical: boolean,
): void {
  item.error ??= [];
  const list = item.error;
  if (!list.includes(message)) list.push(message);
  if (critical) {
    item.status = 'disabled';
    if ('using' in item) item.using = [];
  } else if (item.status !== 'disabled') item.status = 'warning';
}
