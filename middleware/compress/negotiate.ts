/** The encodings Wharf (as Traefik) can compress with. */
export const SUPPORTED_ENCODINGS = ['gzip', 'br', 'zstd'] as const;

/** One of the supported encodings. */
export type Encoding = (typeof SUPPORTED_ENCODINGS)[number];

/** What the operator configured: the offered encodings, most preferred first, and the default. */
export interface EncodingPreferences {
  readonly encodings: readonly Encoding[];
  readonly defaultEncoding: Encoding | undefined;
}

interface Candidate {
  readonly name: string;
  readonly weight: number;
  readonly rank: number;
}

/**
 * The encoding a response gets for a request's Accept-Encoding (undefined: sent as it is), Traefik v3.7's
 * algorithm (pkg/middlewares/compress/acceptencoding.go): no header means `defaultEncoding` (RFC 9110:
 * anything is acceptable) or nothing; an empty header means identity; otherwise the offered codings, `*`
 * and `identity` the client lists with a q-value above 0 are sorted by q-value, ties broken by rank: `*`
 * first, then `encodings` in order, then identity. `*` stands for `defaultEncoding`, else the first of
 * `encodings`. Unlike Traefik, `*` never picks a coding the client refused with q=0 (`gzip;q=0, *`), and
 * coding names are compared case-insensitively (RFC 9110 §8.4.1).
 */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  prefs: EncodingPreferences,
): Encoding | undefined {
  if (acceptEncoding === undefined) return prefs.defaultEncoding;
  if (acceptEncoding.trim() === '') return undefined;
  const candidates: Candidate[] = [];
  const refused = new Set<string>();
  for (const item of acceptEncoding.replaceAll(' ', '').replaceAll('\t', '').split(',')) {
    const semi = item.indexOf(';');
    const name = (semi < 0 ? item : item.slice(0, semi)).toLowerCase();
    const rank = rankOf(name, prefs.encodings);
    if (rank === undefined) continue;
    const weight = semi < 0 ? 1 : qValue(item.slice(semi + 1));
    if (weight === 0) {
      refused.add(name);
      continue;
    }
    candidates.push({ name, weight, rank });
  }
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => (a.weight === b.weight ? a.rank - b.rank : b.weight - a.weight));
  const best = (candidates[0] as Candidate).name;
  if (best === 'identity') return undefined;
  if (best !== '*') return best as Encoding;
  if (prefs.defaultEncoding !== undefined && !refused.has(prefs.defaultEncoding))
    return prefs.defaultEncoding;
  return prefs.encodings.find((e) => !refused.has(e));
}

/** `*` ranks first, the offered encodings in order, identity last; anything else is ignored. */
function rankOf(name: string, encodings: readonly Encoding[]): number | undefined {
  if (name === '*') return -1;
  if (name === 'identity') return encodings.length;
  const i = encodings.indexOf(name as Encoding);
  return i < 0 ? undefined : i;
}

/** The q parameter of a coding's parameters (1 without one; 0, as Go's failed ParseFloat, when unreadable). */
function qValue(params: string): number {
  for (const p of params.split(';')) {
    if (p.length < 2 || (p[0] !== 'q' && p[0] !== 'Q') || p[1] !== '=') continue;
    const text = p.slice(2);
    const w = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : 0;
    return Number.isFinite(w) ? w : 0;
  }
  return 1;
}
