import type { IncomingMessage, ServerResponse } from 'node:http';

// Go's net/http StatusText table, which Traefik's middlewares send as response bodies (ipAllowList's
// "Forbidden") and use to validate configured status codes. Node's STATUS_CODES words several differently
// (413 "Payload Too Large", 418 "I'm a Teapot", ...), so the table is kept here.
const TEXT: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

/** Go's `http.StatusText(code)`: the reason phrase Traefik writes, '' for a code Go does not name. */
export function goStatusText(code: number): string {
  return TEXT[code] ?? '';
}

/**
 * Go's `WriteHeader(status)` then `Write(StatusText(status))`, as Traefik's ipAllowList refuses (and
 * Wharf's ban): text/plain with the reason phrase, no body where HTTP forbids one (204, 304, HEAD).
 */
export function sendStatusText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
): void {
  if (status === 204 || status === 304) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Traefik's rule for a middleware's `rejectStatusCode` (ipAllowList; Wharf's ban follows it): 0 or absent
 * is 403; otherwise a status Go names. Wharf also refuses 1xx. `example` is the second status the error
 * suggests besides 403.
 */
export function rejectStatusCode(code: number | undefined, example: number): number {
  if (code === undefined || code === 0) return 403;
  if (code < 200 || goStatusText(code) === '')
    throw new Error(
      `rejectStatusCode ${code} is not a usable HTTP status: give a final status from 200 to 599 that HTTP names, e.g. 403 or ${example}`,
    );
  return code;
}
