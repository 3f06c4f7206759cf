import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'undici';

/**
 * The TCP ports a process listens on and the UDP ports it has bound, read from /proc on the Docker host:
 * the sockets among the process's open files, looked up in its network namespace's /proc/<pid>/net tables.
 * Sockets of other processes in the namespace (Docker's embedded DNS on 127.0.0.11) do not count.
 */
export function listeningPorts(pid: number): { tcp: number[]; udp: number[] } {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports = (table: string, listening: (state: string, remote: string) => boolean): number[] => {
    const out: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [, local = '', remote = '', state = ''] = f;
      if (inodes.has(f[9] ?? '') && listening(state, remote))
        out.push(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
    return out;
  };
  const tcpListen = (state: string) => state === '0A';
  // An unconnected UDP socket (no remote address) receives from anyone: a listener.
  const udpBound = (_: string, remote: string) => /^0+:0000$/.test(remote);
  return {
    tcp: [...ports('tcp', tcpListen), ...ports('tcp6', tcpListen)].sort((a, b) => a - b),
    udp: [...ports('udp', udpBound), ...ports('udp6', udpBound)].sort((a, b) => a - b),
  };
}

/** One GET through the router: status, body and response headers; status -1 when it did not answer. */
export async function get(
  base: string,
  host: string,
  path = '/',
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  try {
    const r = await request(`${base}${path}`, { headers: { host }, headersTimeout: 3000, bodyTimeout: 3000 });
    return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
  } catch {
    return { status: -1, body: '', headers: {} };
  }
}

/** One GET through the router with extra request headers, the body as bytes (not decoded); -1 on no answer. */
export async function getRaw(
  base: string,
  host: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  try {
    const r = await request(`${base}${path}`, {
      headers: { host, ...headers },
      headersTimeout: 3000,
      bodyTimeout: 3000,
    });
    return { status: r.statusCode, body: Buffer.from(await r.body.arrayBuffer()), headers: r.headers };
  } catch {
    return { status: -1, body: Buffer.alloc(0), headers: {} };
  }
}

/** The hostname a whoami answer names (`Hostname: <name>`, as traefik/whoami and the stand-in answer). */
export function hostnameOf(body: string): string | undefined {
  return /^Hostname: (\S+)/m.exec(body)?.[1];
}

/** `n` sequential GETs; how many answers each hostname gave, and the answers that were not 200. */
export async function spread(
  base: string,
  host: string,
  n: number,
): Promise<{ counts: Map<string, number>; failures: string[] }> {
  const counts = new Map<string, number>();
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(base, host);
    const name = hostnameOf(r.body);
    if (r.status !== 200 || !name) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
    else counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return { counts, failures };
}
