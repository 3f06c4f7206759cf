import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InternalHandler } from '../http/entry-point-options.ts';

/** What the event stream reads: reloads as they happen, the serving generation, and shutdown. */
export interface EventSources {
  /** Calls `listener` after each configuration swap; returns the unsubscribe. */
  readonly onReload: (listener: () => void) => () => void;
  /** The id of the serving generation. */
  readonly generation: () => number;
  readonly shuttingDown: () => boolean;
  /** Where the API is mounted (api.basePath; default `/`). */
  readonly basePath?: string;
  /** A comment line this often keeps proxies from closing an idle stream, ms (default 15 s). */
  readonly heartbeatMs?: number;
  /** How often an open stream checks whether Wharf is stopping, ms (default 250). */
  readonly stopCheckMs?: number;
  /** Streams open at once at most; more are answered 503 (default 64). */
  readonly maxStreams?: number;
}

/**
 * Serves `/api/wharf/events`, a server-sent event stream: an event `generation` (`{"generation": n}`) when
 * the stream opens and after each configuration reload, so the dashboard refetches what changed at once
 * instead of polling the API. Streams end when Wharf stops (a stop does not wait for them) and when the
 * client goes away. Returns false for other paths.
 */
export function createEventsHandler(src: EventSources): InternalHandler {
  const path = `${(src.basePath ?? '/').replace(/\/+$/, '')}/api/wharf/events`;
  const heartbeatMs = src.heartbeatMs ?? 15_000;
  const stopCheckMs = src.stopCheckMs ?? 250;
  const maxStreams = src.maxStreams ?? 64;
  let open = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path) return false;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'the event stream is read with GET' }));
      return true;
    }
    if (open >= maxStreams || src.shuttingDown()) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ message: `too many event streams are open (${maxStreams})` }));
      return true;
    }
    open++;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx buffers proxied responses unless told not to; an event must arrive when it is sent.
      'x-accel-buffering': 'no',
    });
    const send = () => res.write(`event: generation\ndata: {"generation":${src.generation()}}\n\n`);
    res.write('retry: 2000\n\n');
    send();
    const unsubscribe = src.onReload(send);
    let lastBeat = Date.now();
    const timer = setInterval(
      () => {
        if (src.shuttingDown()) {
          res.end();
          return;
        }
        if (Date.now() - lastBeat >= heartbeatMs) {
          lastBeat = Date.now();
          res.write(': keep-alive\n\n');
        }
      },
      Math.min(stopCheckMs, heartbeatMs),
    );
    res.once('close', () => {
      open--;
      clearInterval(timer);
      unsubscribe();
    });
    return true;
  };
}
