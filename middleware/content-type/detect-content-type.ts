// Go's http.DetectContentType, which Traefik's contentType middleware lets Go's server apply: the WHATWG
// MIME Sniffing signatures Go checks, in Go's order, on at most the first 512 bytes. Written from the spec's
// tables and Go's documented list (net/http/sniff.go): no npm package matches Go's current list (the one
// that claims to, detect-content-type 1.2.0, follows an old Go table and treats ',' as white space).

const SNIFF_LENGTH = 512;

type Signature = (data: Buffer, firstNonWs: number) => string | undefined;

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** The data starts with `sig`. */
function exact(sig: string, type: string): Signature {
  const b = bytes(sig);
  return (data) => (data.length >= b.length && data.subarray(0, b.length).equals(b) ? type : undefined);
}

/** Every byte of the data ANDed with the mask equals the pattern (optionally after leading white space). */
function masked(mask: string, pattern: string, type: string, skipWs = false): Signature {
  const m = bytes(mask);
  const p = bytes(pattern);
  return (data, firstNonWs) => {
    const d = skipWs ? data.subarray(firstNonWs) : data;
    if (d.length < p.length) return undefined;
    for (let i = 0; i < p.length; i++) if (((d[i] as number) & (m[i] as number)) !== p[i]) return undefined;
    return type;
  };
}

/** An HTML tag, case-insensitive, after white space, followed by a space or `>`. */
function html(tag: string): Signature {
  const t = bytes(tag);
  return (data, firstNonWs) => {
    const d = data.subarray(firstNonWs);
    if (d.length < t.length + 1) return undefined;
    for (let i = 0; i < t.length; i++) {
      const want = t[i] as number;
      let got = d[i] as number;
      if (want >= 0x41 && want <= 0x5a) got &= 0xdf;
      if (got !== want) return undefined;
    }
    const after = d[t.length];
    return after === 0x20 || after === 0x3e ? 'text/html; charset=utf-8' : undefined;
  };
}

/** MP4: an `ftyp` box whose brands include one starting with `mp4`. */
const mp4: Signature = (data) => {
  if (data.length < 12) return undefined;
  const boxSize = data.readUInt32BE(0);
  if (data.length < boxSize || boxSize % 4 !== 0) return undefined;
  if (data.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  for (let at = 8; at < boxSize; at += 4) {
    if (at === 12) continue; // the major brand's version
    if (data.toString('latin1', at, at + 3) === 'mp4') return 'video/mp4';
  }
  return undefined;
};

/** Text: no byte that only binary data holds (spec §7.1 "binary data byte"). */
const text: Signature = (data, firstNonWs) => {
  for (let i = firstNonWs; i < data.length; i++) {
    const b = data[i] as number;
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return undefined;
  }
  return 'text/plain; charset=utf-8';
};

const FF4_0000_FF4 = '\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF';

const SIGNATURES: readonly Signature[] = [
  ...[
    '<!DOCTYPE HTML',
    '<HTML',
    '<HEAD',
    '<SCRIPT',
    '<IFRAME',
    '<H1',
    '<DIV',
    '<FONT',
    '<TABLE',
    '<A',
    '<STYLE',
    '<TITLE',
    '<B',
    '<BODY',
    '<BR',
    '<P',
    '<!--',
  ].map(html),
  masked('\xFF\xFF\xFF\xFF\xFF', '<?xml', 'text/xml; charset=utf-8', true),
  exact('%PDF-', 'application/pdf'),
  exact('%!PS-Adobe-', 'application/postscript'),
  masked('\xFF\xFF\x00\x00', '\xFE\xFF\x00\x00', 'text/plain; charset=utf-16be'),
  masked('\xFF\xFF\x00\x00', '\xFF\xFE\x00\x00', 'text/plain; charset=utf-16le'),
  masked('\xFF\xFF\xFF\x00', '\xEF\xBB\xBF\x00', 'text/plain; charset=utf-8'),
  exact('\x00\x00\x01\x00', 'image/x-icon'),
  exact('\x00\x00\x02\x00', 'image/x-icon'),
  exact('BM', 'image/bmp'),
  exact('GIF87a', 'image/gif'),
  exact('GIF89a', 'image/gif'),
  masked(`${FF4_0000_FF4}\xFF\xFF`, 'RIFF\x00\x00\x00\x00WEBPVP', 'image/webp'),
  exact('\x89PNG\x0D\x0A\x1A\x0A', 'image/png'),
  exact('\xFF\xD8\xFF', 'image/jpeg'),
  masked(FF4_0000_FF4, 'FORM\x00\x00\x00\x00AIFF', 'audio/aiff'),
  masked('\xFF\xFF\xFF', 'ID3', 'audio/mpeg'),
  masked('\xFF\xFF\xFF\xFF\xFF', 'OggS\x00', 'application/ogg'),
  masked('\xFF'.repeat(8), 'MThd\x00\x00\x00\x06', 'audio/midi'),
  masked(FF4_0000_FF4, 'RIFF\x00\x00\x00\x00AVI ', 'video/avi'),
  masked(FF4_0000_FF4, 'RIFF\x00\x00\x00\x00WAVE', 'audio/wave'),
  mp4,
  exact('\x1A\x45\xDF\xA3', 'video/webm'),
  masked(`${'\x00'.repeat(34)}\xFF\xFF`, `${'\x00'.repeat(34)}LP`, 'application/vnd.ms-fontobject'),
  exact('\x00\x01\x00\x00', 'font/ttf'),
  exact('OTTO', 'font/otf'),
  exact('ttcf', 'font/collection'),
  exact('wOFF', 'font/woff'),
  exact('wOF2', 'font/woff2'),
  exact('\x1F\x8B\x08', 'application/x-gzip'),
  exact('PK\x03\x04', 'application/zip'),
  exact('Rar!\x1A\x07\x00', 'application/x-rar-compressed'),
  exact('Rar!\x1A\x07\x01\x00', 'application/x-rar-compressed'),
  exact('\x00asm', 'application/wasm'),
  text,
];

function isWhiteSpace(b: number): boolean {
  return b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;
}

/** The Content-Type Go's http.DetectContentType gives for a body starting with `body`. */
export function detectContentType(body: Buffer): string {
  const data = body.length > SNIFF_LENGTH ? body.subarray(0, SNIFF_LENGTH) : body;
  let firstNonWs = 0;
  while (firstNonWs < data.length && isWhiteSpace(data[firstNonWs] as number)) firstNonWs++;
  for (const signature of SIGNATURES) {
    const type = signature(data, firstNonWs);
    if (type !== undefined) return type;
  }
  return 'application/octet-stream';
}
