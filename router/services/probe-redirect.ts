// Redirects of HTTP/2 health probes (h2c:// servers), followed as Go's http.Client follows them for
// Traefik's checks (followRedirects, default true): undici follows those of the HTTP/1.1 probes.

/** Go's http.Client gives up after this many redirects ("stopped after 10 redirects"). */
export const MAX_PROBE_REDIRECTS = 10;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Where a redirect answer sends the probe next. */
export interface ProbeRedirect {
  readonly url: URL;
  readonly method: string;
  /** A Location with a scheme: Go then drops a custom Host (the check's `hostname`), else keeps it. */
  readonly absolute: boolean;
}

/**
 * The next request of a probe that got `status` with `location`, as Go's client does it: 301, 302, 303,
 * 307 and 308 with a Location are followed (resolved against the URL asked); 301, 302 and 303 turn any
 * method but GET and HEAD into GET (Go's compatibility rule, its issue 18570); 307 and 308 keep it. Anything else, or no
 * Location, is the final answer (undefined).
 */
export function probeRedirect(
  from: URL,
  status: number,
  location: string | undefined,
  method: string,
): ProbeRedirect | undefined {
  if (!REDIRECTS.has(status) || location === undefined || location === '') return undefined;
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    return undefined;
  }
  const toGet = status <= 303 && method !== 'GET' && method !== 'HEAD';
  return { url, method: toGet ? 'GET' : method, absolute: /^[a-z][a-z0-9+.-]*:/i.test(location) };
}
