import type { IncomingMessage } from 'node:http';
import { peekBody } from '../request-body.ts';
import type { RequestState } from '../request-state.ts';

// The request body of a request the retry middleware may repeat on a status (Traefik's
// mirror.NewReusableRequest): read up front, at most `maxRequestBodyBytes` of it kept in memory to be sent
// again with each attempt. A larger body is not kept: the bytes read so far are put back in front of the
// rest of the stream, which is forwarded once, and that request is not retried on status (network errors,
// which never send a byte of the body, still are).

/**
 * Makes the request body replayable for status retries: on return `state.replayBody` holds it whole in
 * memory (or there is no body), and the result is true; false when it is larger than `max` bytes (negative:
 * no limit), with `state.replayBody` then forwarding it whole once. Rejects with CLIENT_CLOSED when the
 * client goes away while its body is read.
 */
export async function keepBodyForReplay(
  req: IncomingMessage,
  state: RequestState,
  max: number,
): Promise<boolean> {
  return (await peekBody(req, state, max))?.whole ?? true;
}
