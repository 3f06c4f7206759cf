import type { ServerResponse } from 'node:http';

/** Answers with `body` as JSON, its Content-Length set; `headers` are added (X-Next-Page, Allow...). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
