import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { exchange, type Nameserver, newId, showNameserver } from './exchange.ts';
import { CLASS, type DnsMessage, encodeMessage, fqdn, OPCODE, rcodeName, TYPE } from './wire.ts';

// The lookups DNS-01 needs, as lego's dns01 client makes them: the zone of a name (walking up until a SOA
// is in the answer), the CNAME chain of `_acme-challenge.<domain>`, the authoritative nameservers of a zone,
// and whether a nameserver serves the TXT value.

/** Default timeout of one DNS exchange (lego's is 10 s). */
export const DNS_TIMEOUT_MS = 10_000;

/** One question to the nameservers in turn, until one answers with records (lego's SendQueryCustom). */
export async function query(
  name: string,
  type: number,
  nameservers: readonly Nameserver[],
  recursive: boolean,
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<DnsMessage> {
  if (nameservers.length === 0) throw new Error('no nameservers to ask');
  const errors: string[] = [];
  let last: DnsMessage | undefined;
  for (const ns of nameservers) {
    const wire = encodeMessage({
      id: newId(),
      opcode: OPCODE.QUERY,
      rcode: 0,
      flags: { rd: recursive },
      questions: [{ name: fqdn(name), type, class: CLASS.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    try {
      last = (await exchange(ns, wire, timeoutMs)).message;
      if (last.answers.length > 0) return last;
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (last) return last;
  throw new Error(`DNS query ${fqdn(name)} failed: ${errors.join('; ')}`);
}

/** The names from `name` up to its top label: `a.b.c.`, `b.c.`, `c.`. */
export function parentNames(name: string): string[] {
  const labels = fqdn(name).split('.').slice(0, -1);
  return labels.map((_, i) => `${labels.slice(i).join('.')}.`);
}

/** The zone apex of `name`: the first name up the tree whose SOA query has a SOA in the answer section. */
export async function findZone(
  name: string,
  nameservers: readonly Nameserver[],
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<string> {
  for (const candidate of parentNames(name)) {
    let r: DnsMessage;
    try {
      r = await query(candidate, TYPE.SOA, nameservers, true, timeoutMs);
    } catch {
      continue;
    }
    if (r.rcode === 3) continue; // NXDOMAIN: look further up
    if (r.rcode !== 0) throw new Error(`unexpected answer ${rcodeName(r.rcode)} for the SOA of ${candidate}`);
    // A CNAME cannot be at a zone apex, so a name that has one is skipped.
    if (r.answers.some((a) => a.type === TYPE.CNAME)) continue;
    const soa = r.answers.find((a) => a.type === TYPE.SOA);
    if (soa) return fqdn(soa.name.toLowerCase());
  }
  throw new Error(`could not find the zone (start of authority) of ${fqdn(name)}`);
}

/** Follows the CNAME chain of `name` (lego follows `_acme-challenge` CNAMEs); returns the final name. */
export async function resolveCname(
  name: string,
  nameservers: readonly Nameserver[],
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<string> {
  let current = fqdn(name);
  for (let hops = 0; hops < 50; hops++) {
    const r = await query(current, TYPE.CNAME, nameservers, true, timeoutMs);
    const cname = r.answers.find(
      (a) => a.type === TYPE.CNAME && fqdn(a.name).toLowerCase() === current.toLowerCase(),
    );
    if (!cname || typeof cname.value !== 'string') return current;
    current = cname.value;
  }
  return current;
}

/** The authoritative nameservers (NS names) of the zone of `name`. */
export async function authoritativeNameservers(
  name: string,
  nameservers: readonly Nameserver[],
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<string[]> {
  const zone = await findZone(name, nameservers, timeoutMs);
  const r = await query(zone, TYPE.NS, nameservers, true, timeoutMs);
  const out = r.answers
    .filter((a) => a.type === TYPE.NS && typeof a.value === 'string')
    .map((a) => (a.value as string).toLowerCase());
  if (out.length === 0) throw new Error(`[zone=${zone}] could not determine the authoritative nameservers`);
  return out;
}

/**
 * A nameserver's address: IPs are kept; a host name is asked of `resolvers` (A record) first, then of the
 * system resolver (lego asks only the system; the resolvers also know names private to a test or a LAN).
 */
export async function addressOf(
  ns: Nameserver,
  resolvers: readonly Nameserver[] = [],
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<Nameserver> {
  if (isIP(ns.host)) return ns;
  if (resolvers.length > 0) {
    const r = await query(ns.host, TYPE.A, resolvers, true, timeoutMs).catch(() => undefined);
    const a = r?.answers.find((x) => x.type === TYPE.A && x.data.length === 4);
    if (a) return { host: [...a.data].join('.'), port: ns.port };
  }
  const { address } = await lookup(ns.host.replace(/\.$/, ''));
  return { host: address, port: ns.port };
}

/**
 * Throws unless every nameserver serves the TXT record `value` at `name` (lego's
 * checkNameserversPropagationCustom): the message names the nameserver and what it served instead.
 */
export async function requireTxt(
  name: string,
  value: string,
  nameservers: readonly Nameserver[],
  recursive: boolean,
  resolvers: readonly Nameserver[] = [],
  timeoutMs = DNS_TIMEOUT_MS,
): Promise<void> {
  for (const ns of nameservers) {
    const r = await query(name, TYPE.TXT, [await addressOf(ns, resolvers, timeoutMs)], recursive, timeoutMs);
    if (r.rcode !== 0)
      throw new Error(`NS ${showNameserver(ns)} returned ${rcodeName(r.rcode)} for ${fqdn(name)}`);
    const records = r.answers
      .filter((a) => a.type === TYPE.TXT && Array.isArray(a.value))
      .map((a) => (a.value as string[]).join(''));
    if (!records.includes(value))
      throw new Error(
        `NS ${showNameserver(ns)} did not return the expected TXT record [fqdn: ${fqdn(name)}, value: ${value}]: ${records.join(', ')}`,
      );
  }
}
