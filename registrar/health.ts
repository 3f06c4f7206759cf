import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// The registrar listens on no port, not even for health. The running process writes its state to a file
// (atomically, by rename) every few seconds and on every change; `wharf-registrar healthcheck` reads it.

/** What the running registrar reports about itself. */
export interface HealthState {
  readonly pid: number;
  /** When the file was last written (ms since the epoch): a stale file means a stuck or dead process. */
  readonly updatedAt: number;
  readonly host?: string;
  readonly docker: 'up' | 'down' | 'starting';
  readonly consul: 'up' | 'down' | 'starting';
  /** Documents published for this host, as of the last read of Consul. */
  readonly documents: number;
  /** Whether what Consul holds matches what Docker reports (nothing left to publish). */
  readonly inSync: boolean;
  readonly lastError?: string;
}

/** Writes the state atomically: a reader sees the old file or the new one, never half of one. */
export function writeHealth(file: string, state: HealthState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

/**
 * Judges a health file: healthy while it is fresh (written within `maxAgeMs`) and both Docker and Consul
 * are reachable. Being out of sync is not unhealthy (a publish may be in progress); the reason says so.
 */
export function judgeHealth(
  text: string | undefined,
  now: number,
  maxAgeMs: number,
): { healthy: boolean; reason: string } {
  if (text === undefined)
    return { healthy: false, reason: 'no health file: the registrar is not running (yet)' };
  let state: HealthState;
  try {
    state = JSON.parse(text) as HealthState;
  } catch {
    return { healthy: false, reason: 'the health file is not JSON' };
  }
  const age = now - state.updatedAt;
  if (!Number.isFinite(age) || age > maxAgeMs)
    return {
      healthy: false,
      reason: `the health file is ${Math.round(age / 1000)} s old: the registrar is stuck or stopped`,
    };
  if (state.docker !== 'up')
    return { healthy: false, reason: `Docker Engine ${state.docker}${errorOf(state)}` };
  if (state.consul !== 'up') return { healthy: false, reason: `Consul ${state.consul}${errorOf(state)}` };
  const sync = state.inSync ? 'in sync' : 'publishing';
  return { healthy: true, reason: `host ${state.host ?? '?'}: ${state.documents} documents, ${sync}` };
}

const errorOf = (s: HealthState): string => (s.lastError ? `: ${s.lastError}` : '');

/** Reads and judges the health file; what `wharf-registrar healthcheck` prints and exits with. */
export function checkHealthFile(
  file: string,
  maxAgeMs: number,
  now = Date.now(),
): { healthy: boolean; reason: string } {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  return judgeHealth(text, now, maxAgeMs);
}
