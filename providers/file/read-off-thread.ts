import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import type { FileOutcome } from './load-file.ts';

/** What the reading worker is asked: the files, the provider's name, and the listing's diagnostics. */
export interface ReadRequest {
  readonly files: readonly string[];
  readonly source: string;
  readonly listing: readonly Diagnostic[];
}

type Section = 'routers' | 'services' | 'middlewares';

/** The worker's messages, one per request of the main thread (the first, `ready`, unasked). */
export type WorkerMessage =
  | { t: 'ready' }
  | { t: 'file'; index: number; outcome: FileOutcome; sections?: readonly Section[] }
  | { t: 'items'; index: number; section: Section; entries: Array<[string, unknown]> }
  | { t: 'diagnostics'; index: number; list: Diagnostic[] }
  | { t: 'done'; fingerprint?: string }
  | { t: 'failed'; message: string };

/** Every file's outcome, in the order asked, and the snapshot's digest when every file was good. */
export interface OffThreadRead {
  readonly outcomes: FileOutcome[];
  readonly fingerprint: string | undefined;
}

const WORKER = new URL('./read-worker.ts', import.meta.url);

/**
 * Reads, parses and validates the files in a worker thread, so that a very large configuration (50 MB of
 * YAML took 30 s of CPU) does not stop the event loop. The results come back as plain data in messages of
 * 2,000 items, each asked for after the previous one was taken in and the event loop had a turn
 * (`setImmediate`): no single copy onto the main thread takes more than a few milliseconds. The worker is
 * started for one read and ends with it. Rejects if the worker fails or `signal` aborts (it is stopped).
 */
export function readOffThread(request: ReadRequest, signal?: AbortSignal): Promise<OffThreadRead> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: request });
    const outcomes: FileOutcome[] = [];
    let settled = false;
    const finish = (err: Error | undefined, value?: OffThreadRead) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.terminate().catch(() => {
        // Already ended: nothing to stop.
      });
      if (err) reject(err);
      else resolve(value as OffThreadRead);
    };
    const onAbort = () => finish(new Error('reading stopped'));
    signal?.addEventListener('abort', onAbort);
    const ask = () => setImmediate(() => worker.postMessage(0));
    worker.on('message', (m: WorkerMessage) => {
      switch (m.t) {
        case 'ready':
          break;
        case 'file': {
          if (m.outcome.kind === 'ok') {
            const config = m.outcome.config as DynamicConfig & { http?: Record<string, unknown> };
            if (m.sections) config.http = Object.fromEntries(m.sections.map((s) => [s, {}]));
          }
          outcomes[m.index] = m.outcome;
          break;
        }
        case 'items': {
          const o = outcomes[m.index] as Extract<FileOutcome, { kind: 'ok' }>;
          const section = o.config.http?.[m.section] as Record<string, unknown>;
          for (const [name, value] of m.entries) section[name] = value;
          break;
        }
        case 'diagnostics':
          (outcomes[m.index] as Extract<FileOutcome, { kind: 'ok' }>).diagnostics.push(...m.list);
          break;
        case 'done':
          finish(undefined, { outcomes, fingerprint: m.fingerprint });
          return;
        case 'failed':
          finish(new Error(`the reading worker failed: ${m.message}`));
          return;
      }
      ask();
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) =>
      finish(new Error(`the reading worker exited (code ${code}) before its answer`)),
    );
  });
}
