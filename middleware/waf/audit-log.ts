import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../../core/log.ts';
import type { RuleMatch } from './match-log.ts';

// The waf's audit log: one JSON line per request a rule matched, appended to the file `auditLog` names.
// Writers are shared per path (two waf middlewares may name one file) and closed with their last user.

/** One audit log line. */
export interface AuditRecord {
  /** ISO 8601 time the request was evaluated. */
  readonly time: string;
  /** The request id, also the access log's RequestId field and ModSecurity's unique_id. */
  readonly requestId: string;
  readonly middleware: string;
  readonly router: string | undefined;
  readonly clientIp: string;
  readonly method: string;
  readonly uri: string;
  readonly host: string | undefined;
  readonly mode: 'block' | 'detect';
  /**
   * blocked: Wharf refused the request with `status`; detected: rules matched in detect mode (with the CRS,
   * 949110 or 959100 among them means it would have been blocked); matched: rules matched in block mode
   * without refusing it (a score under the threshold).
   */
  readonly action: 'blocked' | 'detected' | 'matched';
  /** The intervention's status (the response status when blocked). */
  readonly status?: number;
  /** The engine's reason when it refused without a rule (a body over requestBodyLimit with reject). */
  readonly reason?: string;
  readonly rules: readonly RuleMatch[];
}

interface Writer {
  readonly stream: WriteStream;
  users: number;
}

const writers = new Map<string, Writer>();

/** An audit log in use by one middleware instance. */
export interface AuditLog {
  write(record: AuditRecord): void;
  close(): Promise<void>;
}

/** Opens (or shares) the audit log at `path`; write errors are logged once per error, never thrown. */
export function openAuditLog(path: string, logger: Logger): AuditLog {
  let writer = writers.get(path);
  if (writer === undefined) {
    const stream = createWriteStream(path, { flags: 'a' });
    stream.on('error', (err) => logger.error({ err, path }, 'waf: cannot write the audit log'));
    writer = { stream, users: 0 };
    writers.set(path, writer);
  }
  writer.users++;
  const held = writer;
  let closed = false;
  return {
    write: (record) => {
      if (!closed && !held.stream.destroyed) held.stream.write(`${JSON.stringify(record)}\n`);
    },
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      if (--held.users > 0) return Promise.resolve();
      writers.delete(path);
      return new Promise((resolve) => held.stream.end(resolve));
    },
  };
}
