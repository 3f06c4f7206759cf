import type { ServerResponse } from 'node:http';

/** Answers as Go's http.Error does (Traefik's middlewares use it): the text as plain text not to be sniffed. */
export function plainError(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
