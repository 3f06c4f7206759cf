import type { IncomingMessage } from 'node:http';
import { peekBody } from '../request-body.ts';
import type { RequestState } from '../request-state.ts';

// The request body for the engine: read once, up to one byte past the inspection limit (enough for
// ModSecurity to apply SecRequestBodyLimitAction), then forwarded whole to the service through
// `state.replayBody`: the bytes read, followed by the rest of the stream when the body was larger.

/**
 * Reads the body (or the one an earlier middleware kept in `state.replayBody`) up to `limit + 1` bytes and
 * returns those bytes for the engine; `state.replayBody` then forwards the body intact. Undefined when the
 * request has no body. Rejects with CLIENT_CLOSED when the client goes away mid-body.
 */
export async function readForInspection(
  req: IncomingMessage,
  state: RequestState,
  limit: number,
): Promise<Buffer | undefined> {
  return (await peekBody(req, state, limit))?.bytes;
}
