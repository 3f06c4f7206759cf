import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotFingerprint } from '../../core/fingerprint.ts';
import { silentLogger } from '../../core/log.ts';
import type { Snapshot } from '../provider.ts';
import { FileProvider } from './file-provider.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const codes = (s: Snapshot) => s.diagnostics.map((d) => d.code);

describe('FileProvider.read', () => {
  it('merges a directory recursively, YAML, TOML and JSON, and reports conflicting definitions', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(
      join(dir, 'a.yml'),
      'http:\n  routers:\n    r1: {rule: "Host(`a`)", service: s}\n    same: {rule: "Host(`s`)", service: s}\n    clash: {rule: "Host(`x`)", service: s}\n',
    );
    await writeFile(
      join(dir, 'sub', 'b.toml'),
      '[http.routers.r2]\nrule = "Host(`b`)"\nservice = "s"\n[http.routers.same]\nrule = "Host(`s`)"\nservice = "s"\n[http.routers.clash]\nrule = "Host(`y`)"\nservice = "s"\n',
    );
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({
        http: { services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } } },
      }),
    );
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    await writeFile(
      join(dir, 't1.yml'),
      'http:\n  serversTransports:\n    t: {forwardingTimeouts: {dialTimeout: 1s}}\n    u: {forwardingTimeouts: {dialTimeout: 1s}}\n',
    );
    await writeFile(
      join(dir, 't2.yml'),
      'http:\n  serversTransports:\n    t: {forwardingTimeouts: {dialTimeout: 1s}}\n    u: {forwardingTimeouts: {dialTimeout: 2s}}\n',
    );
    const snap = await new FileProvider({ directory: dir, watch: false, logger: silentLogger() }).read();
    expect(Object.keys(snap.config.http?.routers ?? {}).sort()).toEqual(['r1', 'r2', 'same']);
    expect(Object.keys(snap.config.http?.services ?? {})).toEqual(['s']);
    expect(snap.config.http?.serversTransports).toEqual({ t: { forwardingTimeouts: { dialTimeout: 1000 } } });
    expect(codes(snap)).toEqual(['ROUTER_CONFLICT', 'SERVERS_TRANSPORT_CONFLICT']);
    expect(snap.diagnostics[0]?.message).toContain('a.yml');
    expect(snap.diagnostics[0]?.message).toContain('b.toml');
  });

  it('with filename and directory both set, reads the directory as Traefik does', async () => {
    await mkdir(join(dir, 'conf.d'));
    await writeFile(
      join(dir, 'conf.d', 'a.yml'),
      'http:\n  routers:\n    fromDir: {rule: "Host(`a`)", service: s}\n',
    );
    await writeFile(
      join(dir, 'one.yml'),
      'http:\n  routers:\n    fromFile: {rule: "Host(`b`)", service: s}\n',
    );
    const snap = await new FileProvider({
      filename: join(dir, 'one.yml'),
      directory: join(dir, 'conf.d'),
      watch: false,
      logger: silentLogger(),
    }).read();
    expect(Object.keys(snap.config.http?.routers ?? {})).toEqual(['fromDir']);
  });

  it('reports a missing file and serves nothing from it', async () => {
    const snap = await new FileProvider({
      filename: join(dir, 'none.yml'),
      watch: false,
      logger: silentLogger(),
    }).read();
    expect(snap.config).toEqual({ http: { routers: {}, services: {}, middlewares: {} } });
    expect(codes(snap)).toEqual(['CONFIG_READ_ERROR']);
    expect(snap.diagnostics[0]?.message).toMatch(/none\.yml: file does not exist/);
  });

  it('keeps the last good version of a file that breaks, and reports the TOML line', async () => {
    const file = join(dir, 'd.toml');
    const p = new FileProvider({ filename: file, watch: false, logger: silentLogger() });
    await writeFile(file, '[http.routers.r]\nrule = "Host(`a`)"\nservice = "s"\n');
    expect(codes(await p.read())).toEqual([]);
    await writeFile(file, '[http.routers.r]\nrule = "Host(`a`)\nservice = "s"\n');
    const broken = await p.read();
    expect(Object.keys(broken.config.http?.routers ?? {})).toEqual(['r']);
    expect(codes(broken)).toEqual(['FILE_INVALID']);
    expect(broken.diagnostics[0]?.message).toMatch(/line 2/);
  });

  it('an empty file is an empty configuration, not an error', async () => {
    const file = join(dir, 'empty.yml');
    await writeFile(file, '\n');
    const snap = await new FileProvider({ filename: file, watch: false, logger: silentLogger() }).read();
    expect(codes(snap)).toEqual([]);
  });
});

describe('FileProvider.watch', () => {
  it('yields a snapshot at start and after each change, including replace-by-rename, and stops on abort', async () => {
    const file = join(dir, 'w.yml');
    await writeFile(file, 'http:\n  routers:\n    one: {rule: "Host(`1`)", service: s}\n');
    const controller = new AbortController();
    const it = new FileProvider({ filename: file, watch: true, logger: silentLogger() })
      .watch(controller.signal)
      [Symbol.asyncIterator]();
    const routers = async () => Object.keys((await it.next()).value?.config.http?.routers ?? {});
    expect(await routers()).toEqual(['one']);
    await writeFile(file, 'http:\n  routers:\n    two: {rule: "Host(`2`)", service: s}\n');
    expect(await routers()).toEqual(['two']);
    // Editors save by writing a new file and renaming it over the old one.
    await writeFile(
      join(dir, 'w.yml.tmp'),
      'http:\n  routers:\n    three: {rule: "Host(`3`)", service: s}\n',
    );
    const { rename } = await import('node:fs/promises');
    await rename(join(dir, 'w.yml.tmp'), file);
    expect(await routers()).toEqual(['three']);
    controller.abort();
    expect((await it.next()).done).toBe(true);
  });
});

describe('FileProvider.read in a worker thread (large files)', () => {
  const write = async () => {
    await mkdir(join(dir, 'sub'));
    const routers = Array.from(
      { length: 5000 },
      (_, i) => `    r${i}: {rule: "Host(\`h${i}.test\`)", service: s}`,
    ).join('\n');
    await writeFile(
      join(dir, 'a.yml'),
      `http:\n  routers:\n${routers}\n    bad: {rule: "Host(\`b\`)", service: s, priority: nope}\n  services:\n    s: {loadBalancer: {servers: [{url: "http://127.0.0.1:1"}]}}\n`,
    );
    await writeFile(join(dir, 'sub', 'b.toml'), '[http.middlewares.m.stripPrefix]\nprefixes = ["/x"]\n');
    await writeFile(join(dir, 'sub', 'empty.yml'), '');
  };

  it('gives the same snapshot as reading on the main thread, with the watcher digest', async () => {
    await write();
    const inWorker = new FileProvider({
      directory: dir,
      watch: false,
      logger: silentLogger(),
      offThreadBytes: 0,
    });
    const here = new FileProvider({ directory: dir, watch: false, logger: silentLogger() });
    const [a, b] = [await inWorker.read(), await here.read()];
    expect([inWorker.offThreadReads, here.offThreadReads]).toEqual([1, 0]);
    expect(a.config).toEqual(b.config);
    expect(Object.keys(a.config.http?.routers ?? {})).toHaveLength(5000);
    expect(a.diagnostics).toEqual(b.diagnostics);
    expect(codes(a)).toContain('CONFIG_INVALID_VALUE');
    expect(a.fingerprint).toBe(snapshotFingerprint(b.config, b.diagnostics));
    expect(b.fingerprint).toBeUndefined();
  });

  it('keeps the last good version of a file that became invalid, and then brings no digest', async () => {
    await write();
    const p = new FileProvider({ directory: dir, watch: false, logger: silentLogger(), offThreadBytes: 0 });
    const first = await p.read();
    await writeFile(join(dir, 'sub', 'b.toml'), '[http.middlewares.m\n');
    const second = await p.read();
    expect(p.offThreadReads).toBe(2);
    expect(second.config).toEqual(first.config);
    expect(codes(second)).toContain('FILE_INVALID');
    expect(second.fingerprint).toBeUndefined();
  });
});
