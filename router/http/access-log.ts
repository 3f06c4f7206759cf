import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { ensureWritable } from '../../core/log.ts';
import type { RequestState } from '../../middleware/request-state.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** CLF time: 02/Jan/2006:15:04:05 +0000 (UTC). */
function clfTime(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * A value for a quoted field of the `common` format: `"` and `\` are backslash-escaped (Traefik escapes only
 * `"`, which lets a trailing backslash reopen the field) and control characters become `\xHH`, so a
 * client-chosen Referer, User-Agent or path can neither end its field early nor forge a line.
 */
export function quoteClf(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  if (!/["\\\x00-\x1f\x7f]/.test(value)) return `"${value}"`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
  const escaped = value.replace(/["\\\x00-\x1f\x7f]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `"${escaped}"`;
}

/**
 * The user for the unquoted user field of the `common` format: "-" when there is none (as Traefik), and
 * otherwise with spaces, quotes, backslashes and control characters as `\xHH`, so a client-chosen name
 * stays one field (Traefik writes it raw).
 */
export function clfUser(user: string | undefined): string {
  if (!user) return '-';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return user.replace(/[\s"\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Writes one line per finished request, in Traefik's `common` (extended CLF) or `json` format. */
export interface AccessLog {
  log(req: IncomingMessage, res: ServerResponse, state: RequestState): void;
  close(): void;
}

/**
 * Opens the access log: a file (appended) or stdout. Writes are asynchronous (lines written while a write
 * is in flight are batched), so requests never wait on the disk and lines appear promptly.
 */
export function createAccessLog(options: { filePath?: string; format: 'common' | 'json' }): AccessLog {
  if (options.filePath) ensureWritable('accessLog.filePath', options.filePath);
  const dest = pino.destination({
    dest: options.filePath ?? 1,
    sync: false,
    mkdir: true,
  });
  dest.on('error', (err: Error) =>
    process.stderr.write(`wharf: cannot write the access log: ${err.message}\n`),
  );
  let count = 0;
  return {
    log(req, res, state) {
      if (state.internal) return;
      count++;
      const durationMs = Number(process.hrtime.bigint() - state.start) / 1e6;
      const status = res.headersSent ? res.statusCode : 499;
      const size = state.responseBytes ?? (Number(res.getHeader('content-length') ?? 0) || 0);
      const path = state.originalUrl;
      if (options.format === 'json') {
        dest.write(
          `${JSON.stringify({
            StartUTC: new Date(Date.now() - durationMs).toISOString(),
            Duration: Math.round(durationMs * 1e6),
            RouterName: state.router ?? '',
            ServiceName: state.service ?? '',
            ServiceURL: state.serverUrl ?? '',
            ClientAddr: `${state.clientIp}:${req.socket?.remotePort ?? 0}`,
            ClientHost: state.clientIp,
            ClientUsername: state.username || '-',
            RequestHost: req.headers.host ?? '',
            RequestMethod: req.method,
            RequestPath: path,
            RequestProtocol: `HTTP/${req.httpVersion}`,
            RequestScheme: state.scheme,
            DownstreamStatus: status,
            DownstreamContentSize: size,
            RequestCount: count,
            RetryAttempts: state.retryAttempts ?? 0,
            entryPointName: state.entryPoint,
          })}\n`,
        );
        return;
      }
      const ref = quoteClf(req.headers.referer || '-');
      const ua = quoteClf(req.headers['user-agent'] || '-');
      const line = quoteClf(`${req.method} ${path} HTTP/${req.httpVersion}`);
      dest.write(
        `${state.clientIp} - ${clfUser(state.username)} [${clfTime(new Date())}] ${line} ${status} ${size} ${ref} ${ua} ${count} ${quoteClf(state.router ?? '-')} ${quoteClf(state.serverUrl ?? '-')} ${Math.round(durationMs)}ms\n`,
      );
    },
    close() {
      dest.flushSync();
      dest.end();
    },
  };
}
