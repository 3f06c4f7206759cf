/** Parses `:80`, `127.0.0.1:8000`, `[::1]:8080` (Traefik's address syntax) into host and port. */
export function parseAddress(address: string): { host: string | undefined; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)(?:\/tcp)?$/.exec(address.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
