import { ServerResponse } from 'node:http';

// The access log's DownstreamContentSize is the body bytes written to the client, whoever wrote them: the
// proxy, a middleware answering itself (401, 403, a redirect), an error page. Counting in the response
// class the server creates costs one addition per write and no per-request closure; middlewares that wrap
// write/end on an instance still end in these methods, so what is counted is what went to the client
// (compressed bytes when compress answers).

/** Where a response keeps its body byte count (a field of the response classes that count). */
export const BODY_BYTES = Symbol('wharf.bodyBytes');

type Counted = { [BODY_BYTES]?: number };

function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return (chunk as { byteLength?: number } | null | undefined)?.byteLength ?? 0;
}

/** Adds a chunk's size to the response's count, unless the response carries no body (HEAD, 204, 304). */
export function countBody(res: ServerResponse, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  // Node drops the body of these responses (its _hasBody); Go answers them without one too.
  const r = res as unknown as Counted & { _hasBody?: boolean; stream?: { headRequest?: boolean } };
  if (r._hasBody === false || r.stream?.headRequest === true) return;
  r[BODY_BYTES] = (r[BODY_BYTES] ?? 0) + chunkBytes(chunk, encoding);
}

/** Body bytes written to the client so far (0 for a response of another class). */
export function bodyBytes(res: ServerResponse): number {
  return (res as unknown as Counted)[BODY_BYTES] ?? 0;
}

/** The HTTP/1.x response class of Wharf's entryPoints: a ServerResponse that counts its body bytes. */
export class CountingResponse extends ServerResponse {
  // Defined at construction, so every response has one shape (a property added later would make the
  // code reading responses polymorphic).
  [BODY_BYTES] = 0;

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    countBody(this, chunk, encoding);
    // biome-ignore lint/suspicious/noExplicitAny: forwards Node's overloads unchanged
    return (super.write as any)(chunk, encoding, cb);
  }

  override end(chunk?: unknown, encoding?: unknown, cb?: unknown): this {
    // ServerResponse.end writes its chunk itself, without calling write().
    countBody(this, chunk, encoding);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return (super.end as any)(chunk, encoding, cb);
  }
}
