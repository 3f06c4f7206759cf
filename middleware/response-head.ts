import type { OutgoingHttpHeader, ServerResponse } from 'node:http';

/** Moves headers given to writeHead (object, [[k,v]] pairs or a flat [k,v,...] array) into the response. */
function adoptHeaders(res: ServerResponse, headers: unknown): void {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [k, v] of headers as Array<[string, OutgoingHttpHeader]>) res.appendHeader(k, v as string);
      return;
    }
    for (let i = 0; i + 1 < headers.length; i += 2)
      res.appendHeader(String(headers[i]), headers[i + 1] as string);
    return;
  }
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers))
      if (v !== undefined) res.setHeader(k, v as OutgoingHttpHeader);
  }
}

/**
 * Runs `edit` just before the response head goes out, however it is written (writeHead with headers, or
 * implicitly by write/end). Headers passed to writeHead are moved into the response first, so `edit`
 * sees and can change every header with getHeader/setHeader/removeHeader. Several edits compose; the one
 * added last runs first.
 */
export function beforeResponseHead(res: ServerResponse, edit: (res: ServerResponse) => void): void {
  const original = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    let message: string | undefined;
    if (typeof rest[0] === 'string') message = rest.shift() as string;
    if (rest.length > 0) adoptHeaders(this, rest[0]);
    edit(this);
    return message === undefined
      ? original.call(this, status)
      : (original as (s: number, m: string) => ServerResponse).call(this, status, message);
  } as ServerResponse['writeHead'];
}
