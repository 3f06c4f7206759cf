// Shapes the dashboard reads from Wharf's API (router/api/api.ts), for type-checking the page's modules.

export type Status = 'enabled' | 'warning' | 'disabled';
export type Kind = 'routers' | 'services' | 'middlewares';

/** What every item of /api/http/{routers,services,middlewares} has. */
export interface Item {
  name: string;
  provider: string;
  status: Status;
  error?: string[];
  [key: string]: unknown;
}

export interface Router extends Item {
  rule?: string;
  service?: string;
  middlewares?: string[];
  entryPoints?: string[];
  using?: string[];
  priority?: number;
  tls?: Record<string, unknown>;
}

export interface Server {
  url?: string;
  address?: string;
  weight?: number;
}

export interface Service extends Item {
  type?: string;
  usedBy?: string[];
  serverStatus?: Record<string, string>;
  loadBalancer?: { servers?: Server[]; healthCheck?: Record<string, unknown>; [key: string]: unknown };
  weighted?: { services?: Array<{ name: string; weight?: number }>; [key: string]: unknown };
  mirroring?: {
    service?: string;
    mirrors?: Array<{ name: string; percent?: number }>;
    [key: string]: unknown;
  };
  failover?: { service?: string; fallback?: string; [key: string]: unknown };
}

export interface Middleware extends Item {
  type?: string;
  usedBy?: string[];
  state?: Record<string, unknown>;
}

/** One entry of /api/diagnostics (config/diagnostics.ts). */
export interface Diagnostic {
  source: string;
  subject: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
  item?: { kind: string; name: string };
  key?: string;
  value?: string;
  suggestion?: string;
}

export interface Section {
  total: number;
  warnings: number;
  errors: number;
}

export interface Overview {
  http: { routers: Section; services: Section; middlewares: Section };
  features?: Record<string, unknown>;
  providers?: string[];
}

export interface EntryPoint {
  name: string;
  address?: string;
  [key: string]: unknown;
}

/** dashboard/meta.json (router/dashboard/dashboard.ts). */
export interface Meta {
  version: string;
  labelPrefix: string;
  rootKey: string;
  fixes: Record<string, { fix: string; field?: string }>;
}

/** Requests per second by router, service and entryPoint, from two scrapes of /metrics. */
export interface Rates {
  routers: Map<string, Rate>;
  services: Map<string, Rate>;
  entrypoints: Map<string, Rate>;
}

export interface Rate {
  /** Requests per second. */
  total: number;
  /** Responses with a 5xx status per second. */
  errors: number;
}

/** The page address after `#`: the overview, a list (`/routers?search=x`) or an item (`/routers/<name>`). */
export interface Route {
  kind?: Kind;
  name?: string;
  query: URLSearchParams;
}

/** What every view reads besides the API. */
export interface Context {
  meta: Meta;
  diagnostics: Diagnostic[];
  /** Request rates, when /metrics has the request counters and has been read twice. */
  rates: Rates | undefined;
  /** Why rates are missing, when they are. */
  ratesNote: string;
  route: Route;
}
