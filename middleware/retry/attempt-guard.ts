import type { ServerResponse } from 'node:http';
import {
  acknowledgeWrite,
  HEAD_METHODS,
  type InterceptedMethod,
  ResponseInterceptor,
} from '../response-interceptor.ts';

const METHODS: readonly InterceptedMethod[] = [...HEAD_METHODS, 'writeEarlyHints', 'destroy'];

/**
 * Stands between one attempt of the retry middleware (not the last) and the client, as Traefik's retry
 * responseWriter does: when the attempt's response head comes, `discard(status)` says whether the attempt
 * is to be retried. If so, the head and every body byte are dropped (../response-interceptor.ts), and so is
 * a destroy of the response by the proxy when the upstream breaks mid-body: the client never sees that
 * attempt. Otherwise the response gets its own methods back at once and the head goes out: the body
 * streams with no cost. Interim answers (103 Early Hints) of an attempt that may be retried are dropped, as
 * Traefik drops them.
 */
export class AttemptGuard extends ResponseInterceptor {
  constructor(res: ServerResponse, discard: (status: number) => boolean) {
    super(res, discard, METHODS);
    const self = this;
    res.writeEarlyHints = function (this: ServerResponse, ...args: unknown[]) {
      if (self.restored) (self.original('writeEarlyHints') as (...a: unknown[]) => void).apply(this, args);
      else acknowledgeWrite(args);
    } as ServerResponse['writeEarlyHints'];
    res.destroy = function (this: ServerResponse, ...args: unknown[]) {
      if (self.held !== undefined) return this;
      return (self.original('destroy') as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['destroy'];
  }

  /** The status of the head held back (the attempt is retried); undefined while none was (or it went out). */
  get discarded(): number | undefined {
    return this.held;
  }
}
