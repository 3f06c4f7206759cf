import { randomUUID } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** Prefix of the temporary files a spilled body goes to (they are unlinked as soon as they are opened). */
export const SPILL_FILE_PREFIX = 'wharf-buffer-';

const READ_CHUNK = 64 * 1024;

/** Reads `size` bytes of a file from its start, in chunks, without moving or closing the handle. */
async function* readFile(fh: FileHandle, size: number): AsyncGenerator<Buffer> {
  let position = 0;
  while (position < size) {
    const want = Math.min(READ_CHUNK, size - position);
    const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(want), 0, want, position);
    if (bytesRead === 0) throw new Error('the temporary file is shorter than the body written to it');
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** A body grew past its limit; `limit` is the configured maximum in bytes. */
export class BodyTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`body larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/** Where a SpillBuffer may keep a body and how much of it. */
export interface SpillLimits {
  /** Bytes kept in memory; past that the whole body moves to a temporary file. */
  readonly memBytes: number;
  /** Largest body accepted; 0: no limit. */
  readonly maxBytes: number;
  /** Directory of the temporary file, read when one is needed (os.tmpdir, i.e. TMPDIR, by default). */
  readonly dir: () => string;
}

/**
 * Holds one body in memory, or once it is larger than `memBytes` in a temporary file, and gives it back
 * whole. The file is unlinked right after it is created (as oxy's multibuf does), so only the open handle
 * keeps it: nothing is left on disk even if the process dies, and `close()` frees the space on every path.
 */
export class SpillBuffer {
  readonly #limits: SpillLimits;
  #chunks: Buffer[] = [];
  #size = 0;
  #file: Promise<FileHandle> | undefined;
  /** Chunks waiting for the file, and the write running now (a rejected one after a disk error). */
  #queue: Buffer[] = [];
  #writing: Promise<void> | undefined;
  #reader: Readable | undefined;
  #closed = false;

  constructor(limits: SpillLimits) {
    this.#limits = limits;
  }

  /** Bytes added so far. */
  get size(): number {
    return this.#size;
  }

  /** Whether the body went to a temporary file. */
  get spilled(): boolean {
    return this.#file !== undefined;
  }

  /**
   * Adds a chunk. Throws BodyTooLarge (keeping nothing of the chunk) when the total would pass `maxBytes`;
   * returns a promise to wait for when the chunk goes to disk (the writer's backpressure), else undefined.
   */
  add(chunk: Buffer): Promise<void> | undefined {
    const { maxBytes, memBytes } = this.#limits;
    if (maxBytes > 0 && this.#size + chunk.length > maxBytes) throw new BodyTooLarge(maxBytes);
    this.#size += chunk.length;
    if (this.#file === undefined && this.#size <= memBytes) {
      this.#chunks.push(chunk);
      return undefined;
    }
    if (this.#file === undefined) {
      const path = join(this.#limits.dir(), `${SPILL_FILE_PREFIX}${randomUUID()}`);
      this.#file = open(path, 'wx+', 0o600).then(async (fh) => {
        await unlink(path).catch(async (err: unknown) => {
          await fh.close();
          throw err;
        });
        return fh;
      });
      const held = this.#chunks;
      this.#chunks = [];
      for (const c of held) this.#write(c);
    }
    return this.#write(chunk);
  }

  /** Queues a chunk for the file; chunks that arrive while a write runs go out together in the next one. */
  #write(chunk: Buffer): Promise<void> {
    this.#queue.push(chunk);
    this.#writing ??= this.#drain();
    return this.#writing;
  }

  async #drain(): Promise<void> {
    try {
      const fh = await (this.#file as Promise<FileHandle>);
      while (this.#queue.length > 0) {
        const batch = Buffer.concat(this.#queue.splice(0));
        let done = 0;
        while (done < batch.length) done += (await fh.write(batch, done)).bytesWritten;
      }
      this.#writing = undefined;
    } catch (err) {
      // The first disk error is final: every later add and finish() rejects with it.
      this.#queue = [];
      this.#writing = Promise.reject(err);
      this.#writing.catch(() => undefined);
      throw err;
    }
  }

  /** Resolves once every chunk is stored; rejects with the disk error if one happened. */
  finish(): Promise<void> {
    return this.#writing ?? Promise.resolve();
  }

  /** A stream over the whole body (Buffer in memory, else the file from its start), after finish(). */
  async open(): Promise<Buffer | Readable> {
    if (this.#file === undefined) return Buffer.concat(this.#chunks, this.#size);
    const fh = await this.#file;
    this.#reader?.destroy();
    // Positional reads of our own: a FileHandle's createReadStream closes the handle when the stream is
    // destroyed (undici destroys a body it has sent), and the handle must stay ours until close().
    this.#reader = Readable.from(readFile(fh, this.#size), { objectMode: false });
    return this.#reader;
  }

  /** Drops the memory and closes the file (its space is freed); safe to call more than once, never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#reader?.destroy();
    const file = this.#file;
    if (file === undefined) return;
    // A failed write or open was already reported through finish(); here only the handle matters.
    await this.#writing?.catch(() => undefined);
    const fh = await file.catch(() => undefined);
    // Closing an unlinked file fails only on a bad descriptor; nothing is left on disk either way.
    await fh?.close().catch(() => undefined);
  }
}
