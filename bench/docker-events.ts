import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

// Shared by the Docker benchmarks (bench:docker, bench:registrar).

/** The p-th percentile (nearest rank) of xs. */
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

/** Start-event times by container id, from the engine's events stream. */
export async function watchStarts(docker: Docker, signal: AbortSignal): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['start'] },
    abortSignal: signal,
  } as Docker.GetEventsOptions)) as unknown as Readable;
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() as string;
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { id?: string; Actor?: { ID?: string }; timeNano?: number };
      const id = e.Actor?.ID ?? e.id;
      if (id && e.timeNano) starts.set(id, e.timeNano / 1e6);
    }
  });
  stream.on('error', () => undefined);
  return starts;
}
