import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupTime, LogFile, parseBackupTime } from './log-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-logfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock that moves one second per call, from 2026-03-01T10:00:00Z. */
function steppingClock(): () => Date {
  let t = Date.UTC(2026, 2, 1, 10, 0, 0);
  return () => {
    t += 1000;
    return new Date(t);
  };
}

const line = (n: number) => `line ${String(n).padStart(3, '0')} ${'x'.repeat(20)}\n`; // 30 bytes

describe('backupTime', () => {
  it.each([
    [Date.UTC(2026, 0, 2, 3, 4, 5, 6), '2026-01-02T03-04-05.006'],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 999), '1999-12-31T23-59-59.999'],
  ])('%d → %s and back', (ms, text) => {
    expect(backupTime(new Date(ms))).toBe(text);
    expect(parseBackupTime(text)).toBe(ms);
  });

  it('is undefined for a name that is no backup time', () => {
    expect(parseBackupTime('2026-01-02')).toBeUndefined();
  });
});

describe('LogFile rotation (lumberjack semantics)', () => {
  it('renames the file to <name>-<UTC time><ext> before a line would pass maxBytes, and gzips it', async () => {
    const path = join(dir, 'wharf.log');
    const f = new LogFile(path, {
      now: steppingClock(),
      rotation: { maxBytes: 100, maxAgeDays: 0, maxBackups: 0, compress: true },
    });
    for (let i = 1; i <= 4; i++) f.write(line(i)); // 3 lines = 90 bytes; the 4th would be 120
    await f.settled();
    f.close();
    expect(readdirSync(dir).sort()).toEqual(['wharf-2026-03-01T10-00-01.000.log.gz', 'wharf.log']);
    expect(readFileSync(path, 'utf8')).toBe(line(4));
    expect(gunzipSync(readFileSync(join(dir, 'wharf-2026-03-01T10-00-01.000.log.gz'))).toString()).toBe(
      line(1) + line(2) + line(3),
    );
  });

  it('counts what the file already holds when it opens', async () => {
    const path = join(dir, 'wharf.log');
    writeFileSync(path, line(0).repeat(3));
    const f = new LogFile(path, {
      now: steppingClock(),
      rotation: { maxBytes: 100, maxAgeDays: 0, maxBackups: 0, compress: false },
    });
    f.write(line(1));
    await f.settled();
    f.close();
    expect(readdirSync(dir).sort()).toEqual(['wharf-2026-03-01T10-00-01.000.log', 'wharf.log']);
  });

  it('keeps the newest maxBackups rotated files', async () => {
    const path = join(dir, 'app.log');
    const f = new LogFile(path, {
      now: steppingClock(),
      rotation: { maxBytes: 40, maxAgeDays: 0, maxBackups: 2, compress: true },
    });
    for (let i = 1; i <= 5; i++) {
      f.write(line(i)); // every line after the first rotates
      await f.settled();
    }
    f.close();
    expect(readdirSync(dir).sort()).toEqual([
      'app-2026-03-01T10-00-03.000.log.gz',
      'app-2026-03-01T10-00-04.000.log.gz',
      'app.log',
    ]);
  });

  it('deletes rotated files older than maxAge days, by the time in their name', async () => {
    const path = join(dir, 'app.log');
    writeFileSync(join(dir, 'app-2026-02-20T10-00-00.000.log.gz'), 'old'); // 9 days before the clock
    writeFileSync(join(dir, 'app-2026-02-27T10-00-00.000.log.gz'), 'young');
    writeFileSync(join(dir, 'other-2020-01-01T00-00-00.000.log'), 'not ours');
    const f = new LogFile(path, {
      now: steppingClock(),
      rotation: { maxBytes: 40, maxAgeDays: 7, maxBackups: 0, compress: false },
    });
    f.write(line(1));
    f.write(line(2));
    await f.settled();
    f.close();
    expect(readdirSync(dir).sort()).toEqual([
      'app-2026-02-27T10-00-00.000.log.gz',
      'app-2026-03-01T10-00-01.000.log',
      'app.log',
      'other-2020-01-01T00-00-00.000.log',
    ]);
  });

  it('reopen() writes to a new file at the path after another program moved it', async () => {
    const path = join(dir, 'wharf.log');
    const f = new LogFile(path);
    f.write('before\n');
    const { renameSync } = await import('node:fs');
    renameSync(path, `${path}.1`);
    f.write('still old\n');
    f.reopen();
    f.write('after\n');
    f.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('before\nstill old\n');
    expect(readFileSync(path, 'utf8')).toBe('after\n');
  });
});
