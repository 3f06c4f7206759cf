import type { StaticConfig } from '../../config/static.ts';
import type { InternalHandler } from '../http/entrypoint.ts';
import { createDashboardHandler } from './dashboard.ts';
import { createEventsHandler, type EventSources } from './events.ts';

/** What the dashboard and its event stream read from the running router. */
export interface DashboardSources extends Omit<EventSources, 'basePath'> {
  readonly staticConfig: Pick<StaticConfig, 'providers'>;
  /** Serve the page (api.dashboard); the event stream is part of the API and is served either way. */
  readonly dashboard: boolean;
}

/**
 * The internal entryPoint's handler with the dashboard: the event stream (`/api/wharf/events`) and the
 * page (`/dashboard/`, and the redirects to it) come first, then `api` (the JSON API and ping), which
 * answers every other `/api/` path.
 */
export function withDashboard(api: InternalHandler, src: DashboardSources): InternalHandler {
  const events = createEventsHandler(src);
  const page = src.dashboard ? createDashboardHandler({ staticConfig: src.staticConfig }) : undefined;
  return (req, res) => events(req, res) || (page?.(req, res) ?? false) || api(req, res);
}
