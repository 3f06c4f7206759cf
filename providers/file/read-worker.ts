import { parentPort, workerData } from 'node:worker_threads';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { snapshotFingerprint } from '../../core/fingerprint.ts';
import { type FileOutcome, loadFile } from './load-file.ts';
import { mergeFileConfigs } from './merge-files.ts';
import type { ReadRequest, WorkerMessage } from './read-off-thread.ts';

// The file provider's reading worker (see read-off-thread.ts): reads, parses and validates the files, and
// digests the snapshot they make when every file was good, then hands the results over one small message
// at a time, each when the main thread asks for it.

/** Items per message: a few milliseconds for the main thread to take in. */
const CHUNK = 2000;
const SECTIONS = ['routers', 'services', 'middlewares'] as const;

function* messages(
  outcomes: readonly FileOutcome[],
  fingerprint: string | undefined,
): Generator<WorkerMessage> {
  for (let index = 0; index < outcomes.length; index++) {
    const o = outcomes[index] as FileOutcome;
    if (o.kind !== 'ok') {
      yield { t: 'file', index, outcome: o };
      continue;
    }
    const { http, ...rest } = o.config;
    const sections = http ? SECTIONS.filter((s) => http[s] !== undefined) : undefined;
    yield { t: 'file', index, outcome: { kind: 'ok', config: rest, diagnostics: [] }, sections };
    for (const section of sections ?? []) {
      const entries = Object.entries(http?.[section] ?? {});
      for (let i = 0; i < entries.length; i += CHUNK)
        yield { t: 'items', index, section, entries: entries.slice(i, i + CHUNK) };
    }
    for (let i = 0; i < o.diagnostics.length; i += CHUNK)
      yield { t: 'diagnostics', index, list: o.diagnostics.slice(i, i + CHUNK) };
  }
  yield { t: 'done', ...(fingerprint !== undefined ? { fingerprint } : {}) };
}

async function main(request: ReadRequest): Promise<void> {
  const outcomes: FileOutcome[] = [];
  for (const file of request.files) outcomes.push(await loadFile(file, request.source));
  // The digest of what the main thread will build when no file falls back to its last good version.
  let fingerprint: string | undefined;
  if (outcomes.every((o) => o.kind === 'ok' || o.kind === 'empty')) {
    const diagnostics: Diagnostic[] = [...request.listing];
    const parts: Array<{ file: string; config: DynamicConfig }> = [];
    outcomes.forEach((o, i) => {
      if (o.kind === 'ok') diagnostics.push(...o.diagnostics);
      parts.push({ file: request.files[i] as string, config: o.kind === 'ok' ? o.config : {} });
    });
    const merged = mergeFileConfigs(parts);
    diagnostics.push(...merged.diagnostics);
    fingerprint = snapshotFingerprint(merged.config, diagnostics);
  }
  const port = parentPort;
  if (!port) return;
  const next = messages(outcomes, fingerprint);
  port.on('message', () => {
    const m = next.next();
    if (m.done) port.close();
    else port.postMessage(m.value);
  });
  port.postMessage({ t: 'ready' } satisfies WorkerMessage);
}

main(workerData as ReadRequest).catch((err: unknown) => {
  parentPort?.postMessage({
    t: 'failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  } satisfies WorkerMessage);
});
