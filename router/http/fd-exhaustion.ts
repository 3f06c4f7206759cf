import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';
import type { Logger } from '../../core/log.ts';

const EXHAUSTED = new Set(['EMFILE', 'ENFILE']);

/**
 * Tells the operator when the process runs out of file descriptors, and when it has some again: one log
 * line per change of state. libuv hides most accept failures (on EMFILE/ENFILE it closes a spare
 * descriptor, accepts and drops the waiting connections, and reopens the spare), so Node sees no error
 * while clients are refused; a probe that opens and closes the null device every `probeMs` notices
 * instead. Accept errors that do reach a listener are reported here too, so they never crash the process.
 */
export class FdExhaustion {
  readonly #logger: Logger;
  readonly #probeMs: number;
  #timer: NodeJS.Timeout | undefined;
  #exhausted: string | undefined;

  constructor(logger: Logger, probeMs = 1000) {
    this.#logger = logger;
    this.#probeMs = probeMs;
  }

  /** Starts the probe (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.#timer || this.#probeMs <= 0) return;
    this.#timer = setInterval(() => this.probe(), this.#probeMs);
    this.#timer.unref();
  }

  /** Stops the probe. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Whether the process was out of file descriptors at the last probe or accept error. */
  get exhausted(): boolean {
    return this.#exhausted !== undefined;
  }

  /** Opens and closes the null device: EMFILE/ENFILE means new connections are being dropped. */
  probe(): void {
    try {
      closeSync(openSync(devNull, 'r'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code && EXHAUSTED.has(code)) this.#enter(code, undefined);
      return;
    }
    if (this.#exhausted !== undefined) {
      this.#logger.warn(
        { code: this.#exhausted },
        'file descriptors are available again: accepting connections',
      );
      this.#exhausted = undefined;
    }
  }

  /** An `error` event of an entryPoint's listener (an accept that failed): logged, never thrown. */
  acceptError(entryPoint: string, err: NodeJS.ErrnoException): void {
    if (err.code && EXHAUSTED.has(err.code)) this.#enter(err.code, entryPoint);
    else this.#logger.error({ entryPoint, err: err.message, code: err.code }, 'cannot accept a connection');
  }

  #enter(code: string, entryPoint: string | undefined): void {
    if (this.#exhausted !== undefined) return;
    this.#exhausted = code;
    const what = code === 'ENFILE' ? 'the system is' : 'the process is';
    this.#logger.error(
      { code, ...(entryPoint ? { entryPoint } : {}) },
      `${what} out of file descriptors (${code}): new connections are dropped until some are freed; raise the limit (ulimit -n, LimitNOFILE, --ulimit nofile) or lower the load`,
    );
  }
}
