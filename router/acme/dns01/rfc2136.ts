import { readFileSync } from 'node:fs';
import { findZone } from './dns-client.ts';
import { exchange, type Nameserver, newId, parseNameserver, showNameserver } from './exchange.ts';
import { signMessage, type TsigKey, tsigKey, verifyAnswer } from './tsig.ts';
import { CLASS, encodeMessage, fqdn, OPCODE, rcodeName, TYPE, txtData } from './wire.ts';

// RFC 2136 dynamic updates signed with TSIG, as lego's `rfc2136` (v5: `dnsupdate`) provider sends them.

/** What one RFC 2136 provider needs. */
export interface Rfc2136Config {
  readonly nameserver: Nameserver;
  readonly key?: TsigKey;
  readonly ttl: number;
  readonly timeoutMs: number;
  /** Zones to update (DNSUPDATE_ZONES); empty: asks the nameserver for the zone of each name. */
  readonly zones: readonly string[];
}

/**
 * Reads a BIND key file (`key "name" { algorithm hmac-sha256; secret "..."; };`, what `tsig-keygen`
 * writes), for RFC2136_TSIG_FILE.
 */
export function readTsigFile(text: string): { name: string; algorithm: string; secret: string } {
  const m = /key\s+"?([^"\s{]+)"?\s*\{([^}]*)\}/s.exec(text);
  const body = m?.[2] ?? '';
  const algorithm = /algorithm\s+"?([\w.-]+)"?\s*;/.exec(body)?.[1];
  const secret = /secret\s+"([^"]+)"\s*;/.exec(body)?.[1];
  if (!m || !algorithm || !secret)
    throw new Error('not a TSIG key file (key "<name>" { algorithm <alg>; secret "<base64>"; };)');
  return { name: m[1] as string, algorithm, secret };
}

/** The configuration from the environment, with lego's names (DNSUPDATE_* first, then RFC2136_*). */
export function rfc2136FromEnv(get: (suffix: string) => string | undefined): Rfc2136Config {
  const server = get('NAMESERVER');
  if (!server) throw new Error('some credentials information are missing: RFC2136_NAMESERVER');
  let name = get('TSIG_KEY');
  let secret = get('TSIG_SECRET');
  let algorithm = get('TSIG_ALGORITHM') ?? 'hmac-sha1.';
  const file = get('TSIG_FILE');
  if (file) {
    const k = readTsigFile(readFileSync(file, 'utf8'));
    ({ name, secret, algorithm } = k);
  }
  const seconds = (suffix: string, fallback: number) => {
    const v = get(suffix);
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`RFC2136_${suffix} "${v}" is not a number of seconds`);
    return n;
  };
  return {
    nameserver: parseNameserver(server),
    ...(name && secret ? { key: tsigKey(name, algorithm, secret) } : {}),
    ttl: seconds('TTL', 120),
    timeoutMs: seconds('DNS_TIMEOUT', 10) * 1000,
    zones: (get('ZONES') ?? '')
      .split(',')
      .map((z) => z.trim())
      .filter((z) => z !== '')
      .map(fqdn),
  };
}

/** The zone to update for `name`: the longest configured zone it is in, else the nameserver's answer. */
async function zoneOf(c: Rfc2136Config, name: string): Promise<string> {
  if (c.zones.length === 0) return findZone(name, [c.nameserver], c.timeoutMs);
  const lower = fqdn(name).toLowerCase();
  const zone = c.zones
    .map(fqdn)
    .sort((a, b) => b.length - a.length)
    .find((z) => lower === z.toLowerCase() || lower.endsWith(`.${z.toLowerCase()}`));
  if (!zone) throw new Error(`zone for ${fqdn(name)} not found`);
  return zone;
}

/**
 * Adds (`insert`: first deleting the whole TXT set at the name, as lego does, so leftovers go; `add`: next
 * to the values there, for tools such as an httpreq server whose challenges come in parallel) or deletes
 * (`remove`: that one value) the TXT record `value` at `name`; throws with the server's answer.
 */
export async function rfc2136Update(
  c: Rfc2136Config,
  action: 'insert' | 'add' | 'remove',
  name: string,
  value: string,
): Promise<void> {
  const zone = await zoneOf(c, name);
  const txt = txtData(value);
  const add = { name, type: TYPE.TXT, class: CLASS.IN, ttl: c.ttl, data: txt };
  const records =
    action === 'insert'
      ? [{ name, type: TYPE.TXT, class: CLASS.ANY, ttl: 0, data: Buffer.alloc(0) }, add]
      : action === 'add'
        ? [add]
        : [{ name, type: TYPE.TXT, class: CLASS.NONE, ttl: 0, data: txt }];
  const wire = encodeMessage({
    id: newId(),
    opcode: OPCODE.UPDATE,
    rcode: 0,
    flags: {},
    questions: [{ name: zone, type: TYPE.SOA, class: CLASS.IN }],
    answers: [],
    authorities: records,
    additionals: [],
  });
  const signed = c.key ? signMessage(wire, c.key) : { wire, mac: undefined };
  const { raw, message } = await exchange(c.nameserver, signed.wire, c.timeoutMs);
  const problem = (detail: string) =>
    new Error(`DNS update failed: server ${showNameserver(c.nameserver)} ${detail} for ${action} ${zone}`);
  if (message.rcode !== 0 && !message.additionals.some((a) => a.type === TYPE.TSIG))
    throw problem(`replied ${rcodeName(message.rcode)}`);
  if (c.key && signed.mac) {
    try {
      verifyAnswer(raw, c.key, signed.mac);
    } catch (err) {
      throw problem(`answered ${rcodeName(message.rcode)}: ${(err as Error).message}`);
    }
  }
  if (message.rcode !== 0) throw problem(`replied ${rcodeName(message.rcode)}`);
}
