import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** Size-based rotation as Traefik's log file does it (lumberjack): limits as `log.*` gives them. */
export interface Rotation {
  /** Rotate before a write would take the file past this many bytes. */
  readonly maxBytes: number;
  /** Delete rotated files whose name says they are older than this many days (0: never). */
  readonly maxAgeDays: number;
  /** Keep at most this many rotated files, the newest (0: all). */
  readonly maxBackups: number;
  /** Gzip rotated files (`name-<time>.log.gz`). */
  readonly compress: boolean;
}

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Lumberjack's time in a rotated file's name: 2006-01-02T15-04-05.000, UTC. */
export function backupTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** The time a rotated file's name holds (backupTime), or undefined for a file that is not one. */
export function parseBackupTime(stamp: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)\.(\d{3})$/.exec(stamp);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s, ms);
}

/**
 * A log file written synchronously (Wharf's own log is low volume, and a line written before a crash is
 * on disk): lines are appended; with a rotation, the file is renamed to `<name>-<time><ext>` before a line
 * would take it past `maxBytes`, and a new one started, then old files are compressed and pruned in the
 * background. `reopen()` starts writing to whatever file is at the path now (after logrotate moved it).
 */
export class LogFile {
  readonly path: string;
  private readonly rotation: Rotation | undefined;
  private readonly now: () => Date;
  private readonly onError: (err: Error) => void;
  private fd = -1;
  private size = 0;
  /** The background clean-up of rotated files; one at a time. */
  private mill: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    options: { rotation?: Rotation; now?: () => Date; onError?: (err: Error) => void } = {},
  ) {
    this.path = path;
    this.rotation = options.rotation;
    this.now = options.now ?? (() => new Date());
    this.onError =
      options.onError ?? ((err) => process.stderr.write(`wharf: cannot write the log: ${err.message}\n`));
    this.open();
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a', 0o644);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends a line (pino's destination contract); never throws. */
  write(line: string): boolean {
    try {
      if (this.fd < 0) this.open();
      const rotation = this.rotation;
      if (rotation) {
        const bytes = Buffer.byteLength(line);
        if (this.size > 0 && this.size + bytes > rotation.maxBytes) this.rotate(rotation);
        this.size += bytes;
      }
      writeSync(this.fd, line);
    } catch (err) {
      this.onError(err as Error);
    }
    return true;
  }

  /** Closes the file and opens the path again: a rotation done by another program (SIGUSR1). */
  reopen(): void {
    this.close();
    try {
      this.open();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Closes the file; a later write opens it again. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Resolves when the clean-up of rotated files started so far is done (tests). */
  settled(): Promise<void> {
    return this.mill;
  }

  private rotate(rotation: Rotation): void {
    const ext = extname(this.path);
    const prefix = basename(this.path, ext);
    renameSync(this.path, join(dirname(this.path), `${prefix}-${backupTime(this.now())}${ext}`));
    this.reopen();
    this.mill = this.mill
      .then(() => this.millRun(rotation, prefix, ext))
      .catch((err: Error) => this.onError(err));
  }

  /** Lumberjack's clean-up: keep maxBackups files, drop those past maxAge days, gzip the rest. */
  private async millRun(rotation: Rotation, prefix: string, ext: string): Promise<void> {
    const dir = dirname(this.path);
    const backups: Array<{ name: string; time: number }> = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith(`${prefix}-`)) continue;
      const rest = name.slice(prefix.length + 1);
      const stamp = rest.endsWith(`${ext}.gz`)
        ? rest.slice(0, -(ext.length + 3))
        : rest.endsWith(ext)
          ? rest.slice(0, rest.length - ext.length)
          : undefined;
      const time = stamp === undefined ? undefined : parseBackupTime(stamp);
      if (time !== undefined) backups.push({ name, time });
    }
    backups.sort((a, b) => b.time - a.time);
    let keep = backups;
    const remove: string[] = [];
    if (rotation.maxBackups > 0) {
      // A file and its compressed copy (a compression cut short) count once.
      const seen = new Set<string>();
      keep = [];
      for (const b of backups) {
        const key = b.name.replace(/\.gz$/, '');
        if (!seen.has(key)) seen.add(key);
        if (seen.size > rotation.maxBackups) remove.push(b.name);
        else keep.push(b);
      }
    }
    if (rotation.maxAgeDays > 0) {
      const cutoff = this.now().getTime() - rotation.maxAgeDays * DAY_MS;
      const young = keep.filter((b) => b.time >= cutoff);
      for (const b of keep) if (b.time < cutoff) remove.push(b.name);
      keep = young;
    }
    for (const name of remove) await rm(join(dir, name), { force: true });
    if (!rotation.compress) return;
    for (const b of keep) {
      if (b.name.endsWith('.gz')) continue;
      const from = join(dir, b.name);
      await pipeline(createReadStream(from), createGzip(), createWriteStream(`${from}.gz`, { mode: 0o644 }));
      await rm(from, { force: true });
    }
  }
}
