// `http.encodeQuerySemicolons` (Traefik v3.7 server_entrypoint_tcp.go): by default a `;` in the query
// separates parameters, as `&` does, and is forwarded as `&` (Go's http.AllowQuerySemicolons), so Wharf,
// its Query rules and the server agree on the parameters; with the option it is forwarded as `%3B`, one
// parameter's text.

/** The request target with the query's `;` made `%3B` (`encode`) or `&`; the path is never touched. */
export function querySemicolons(target: string, encode: boolean): string {
  const q = target.indexOf('?');
  if (q === -1 || !target.includes(';', q)) return target;
  return target.slice(0, q + 1) + target.slice(q + 1).replaceAll(';', encode ? '%3B' : '&');
}
