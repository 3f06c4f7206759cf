import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchPage } from '../../bench/html-page.ts';
import { ensureFastGzip } from '../../test/helpers/native.ts';
import { FAST_GZIP_PATH, gzipEngine } from './fast-gzip.ts';

// The libdeflate addon (native/fast-gzip.c) against zlib: every output gunzips to its input. The harness
// builds the addon when it can (test/helpers/native.ts), else these tests skip with the reason; in CI
// (WHARF_REQUIRE_ALL=1) a skip fails the run.

let skip: string | undefined;
beforeAll(async () => {
  skip = await ensureFastGzip();
}, 600_000);

const page = Buffer.from(benchPage());
const big = Buffer.alloc(3 << 20, 'wharf compresses this line again and again\n');
const inner = Buffer.concat([Buffer.from('prefix-'), page, Buffer.from('-suffix')]);

describe('libdeflate gzip (native addon)', () => {
  it.for<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['short text', Buffer.from('hello, wharf '.repeat(8))],
    ['the 16 KB bench page', page],
    ['1 MiB of random bytes (incompressible)', randomBytes(1 << 20)],
    ['3 MiB of one line (the scratch buffer grows past 1 MiB, then is dropped)', big],
    ['a view into a larger buffer (byteOffset)', inner.subarray(7, 7 + page.length)],
  ])('%s: a gzip member that gunzips to the input', ([, input], ctx) => {
    if (skip !== undefined) return ctx.skip(skip);
    const engine = gzipEngine();
    expect(engine.name).toBe('libdeflate');
    const out = (engine.gzip as (b: Buffer) => Buffer)(input);
    expect([out[0], out[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(out).equals(input)).toBe(true);
  });

  it("compresses the bench page within 1% of klauspost's level 5 (Traefik's and Caddy's default, 4,734 bytes)", (ctx) => {
    if (skip !== undefined) return ctx.skip(skip);
    const out = (gzipEngine().gzip as (b: Buffer) => Buffer)(page);
    // Level 1 makes 4,757 bytes: the size traded for speed (docs/middlewares/compress.md).
    expect(out.length / 4734).toBeLessThan(1.01);
    // and within 3% of zlib's level 5, the fallback's.
    expect(out.length / gzipSync(page, { level: 5 }).length).toBeLessThan(1.03);
  });

  it('refuses what is not a byte array, and levels outside 0-12', async (ctx) => {
    if (skip !== undefined) return ctx.skip(skip);
    const { createRequire } = await import('node:module');
    const addon = createRequire(import.meta.url)(FAST_GZIP_PATH) as {
      gzip(...args: unknown[]): Buffer;
    };
    expect(() => addon.gzip('text', 2)).toThrow(/Uint8Array/);
    expect(() => addon.gzip(new Uint16Array(4), 2)).toThrow(/Uint8Array/);
    expect(() => addon.gzip(page, 13)).toThrow(/level/);
    expect(() => addon.gzip(page, -1)).toThrow(/level/);
    expect(() => addon.gzip(page)).toThrow(/two arguments/);
  });
});

describe('gzipEngine without the addon', () => {
  it('falls back to zlib and says how to build it when the file is missing', () => {
    const e = gzipEngine(join(tmpdir(), 'wharf-no-such-addon.node'));
    expect(e.name).toBe('zlib');
    expect(e.gzip).toBeUndefined();
    expect(e.reason).toMatch(/not built.*libdeflate-dev.*npm run build:native/);
  });

  it('falls back to zlib, naming the file, when it does not load', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'wharf-addon-')), 'broken.node');
    writeFileSync(bad, 'not a shared object');
    const e = gzipEngine(bad);
    expect(e.name).toBe('zlib');
    expect(e.reason).toContain(bad);
    expect(e.reason).toContain('npm run build:native');
  });
});
