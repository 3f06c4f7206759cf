import type { StaticConfig } from '../../config/static.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { createDashboardHandler } from './dashboard.ts';
import { createEventsHandler, type EventSources } from './events.ts';

/**
 * `dashboard@internal`: the page for a request whose path is below `/dashboard/` (`/` is the index page),
 * as `api@internal` and Traefik's `dashboard_stripprefix` hand it over.
 */
export function dashboardService(staticConfig: Pick<StaticConfig, 'providers'>): Handler {
  const page = createDashboardHandler({ staticConfig });
  return async (req, res) => {
    const url = req.url ?? '/';
    req.url = `/dashboard${url.startsWith('/') ? url : `/${url}`}`;
    page(req, res);
  };
}

/**
 * `api@internal` with the dashboard's event stream (`{basePath}/api/wharf/events`) in front: the stream is
 * part of the API and is served whether or not the page is.
 */
export function withEvents(api: Handler, src: EventSources): Handler {
  const events = createEventsHandler(src);
  return async (req, res) => {
    if (events(req, res)) return;
    await api(req, res);
  };
}
