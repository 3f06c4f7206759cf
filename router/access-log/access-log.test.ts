import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLogSchema } from '../../config/static/access-log.ts';
import { entryPointObservability } from '../../config/static/entry-point-observability.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import { until } from '../../test/helpers/backends.ts';
import type { RoutingTable } from '../compile/table-types.ts';
import { createAccessLog } from './access-log.ts';
import { compileFilters, parseStatusRange } from './filters.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-access-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(path: string, over: Partial<RequestState> = {}, status = 200) {
  const req = {
    method: 'GET',
    httpVersion: '1.1',
    headers: { referer: 'r" 200 1 "-" "x', 'user-agent': 'ua\\" "forged' },
    socket: { remotePort: 1234 },
  } as unknown as IncomingMessage;
  const res = { headersSent: true, statusCode: status, getHeaders: () => ({}) } as unknown as ServerResponse;
  const state = {
    entryPoint: 'web',
    scheme: 'http',
    clientIp: '127.0.0.1',
    start: process.hrtime.bigint(),
    originalUrl: path,
    ...over,
  } as RequestState;
  return [req, res, state] as const;
}

async function lines(file: string, count: number): Promise<string[]> {
  let out: string[] = [];
  await until(() => {
    out = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return out.length >= count;
  }, `${count} access log line(s) in ${file}`);
  return out;
}

/** A routing table whose routers have these services and observability options (what onTable reads). */
function table(routers: Record<string, { service?: string; accessLogs?: boolean }>): RoutingTable {
  const map = new Map(
    Object.entries(routers).map(([name, r]) => [
      name,
      {
        name,
        service: r.service,
        ...(r.accessLogs !== undefined ? { observability: { accessLogs: r.accessLogs } } : {}),
      },
    ]),
  );
  return { info: { routers: map } } as unknown as RoutingTable;
}

describe('createAccessLog', () => {
  it('escapes quotes in Referer, User-Agent and the path: one line per request, fields intact', async () => {
    const filePath = join(dir, 'access.log');
    const log = createAccessLog(
      AccessLogSchema.parse({ filePath, fields: { headers: { defaultMode: 'keep' } } }),
    );
    log.log(...request('/a"b'));
    await lines(filePath, 1);
    log.close();
    const text = await readFile(filePath, 'utf8');
    const all = text.trimEnd().split('\n');
    expect(all).toHaveLength(1);
    // Every quoted field is "…" with only escaped quotes inside: request, referer, user agent, router, server.
    expect(all[0]?.match(/"(?:[^"\\]|\\.)*"/g)).toEqual([
      '"GET /a\\"b HTTP/1.1"',
      '"r\\" 200 1 \\"-\\" \\"x"',
      '"ua\\\\\\" \\"forged"',
      '"-"',
      '"-"',
    ]);
  });

  it('logs according to addInternals, the router observability and the entryPoint defaults', async () => {
    const filePath = join(dir, 'access.log');
    const log = createAccessLog(AccessLogSchema.parse({ filePath, format: 'json' }), {
      entryPointDefaults: entryPointObservability(
        { quiet: { observability: { accessLogs: false } }, web: {} },
        'accessLogs',
      ),
    });
    log.onTable(
      table({
        'off@file': { service: 's', accessLogs: false },
        'on@file': { service: 's', accessLogs: true },
        'api@file': { service: 'api@internal' },
        'plain@file': { service: 's' },
      }),
    );
    const cases: Array<[string, Partial<RequestState>]> = [
      ['/off', { router: 'off@file' }],
      ['/on', { router: 'on@file' }],
      ['/api', { router: 'api@file' }],
      ['/ping', { internal: true }],
      ['/plain', { router: 'plain@file' }],
      ['/quiet-unrouted', { entryPoint: 'quiet' }],
      ['/quiet-plain', { entryPoint: 'quiet', router: 'plain@file' }],
      ['/quiet-on', { entryPoint: 'quiet', router: 'on@file' }],
      ['/unrouted', {}],
    ];
    for (const [path, over] of cases) log.log(...request(path, over));
    log.log(...request('/last', {}));
    const got = (await lines(filePath, 5)).map((l) => JSON.parse(l).RequestPath);
    log.close();
    expect(got).toEqual(['/on', '/plain', '/quiet-on', '/unrouted', '/last']);
  });

  it('logs internal requests with addInternals', async () => {
    const filePath = join(dir, 'access.log');
    const log = createAccessLog(AccessLogSchema.parse({ filePath, format: 'json', addInternals: true }));
    log.onTable(table({ 'api@file': { service: 'api@internal' } }));
    log.log(...request('/api', { router: 'api@file' }));
    log.log(...request('/ping', { internal: true }));
    const got = (await lines(filePath, 2)).map((l) => JSON.parse(l).RequestPath);
    log.close();
    expect(got).toEqual(['/api', '/ping']);
  });

  it('with bufferingSize, writes lines together and in order, the last ones on the next turn', async () => {
    const filePath = join(dir, 'access.log');
    const log = createAccessLog(AccessLogSchema.parse({ filePath, format: 'json', bufferingSize: 2 }));
    for (const p of ['/1', '/2', '/3']) log.log(...request(p));
    const got = await lines(filePath, 3);
    log.close();
    expect(got.map((l) => [JSON.parse(l).RequestPath, JSON.parse(l).RequestCount])).toEqual([
      ['/1', 1],
      ['/2', 2],
      ['/3', 3],
    ]);
  });

  it('reopen() starts a new file at the path after the old one was moved away (logrotate)', async () => {
    const filePath = join(dir, 'access.log');
    const log = createAccessLog(AccessLogSchema.parse({ filePath, format: 'json' }));
    log.log(...request('/before'));
    await lines(filePath, 1);
    await rename(filePath, `${filePath}.1`);
    log.reopen();
    log.log(...request('/after'));
    const after = await lines(filePath, 1);
    log.close();
    expect(after.map((l) => JSON.parse(l).RequestPath)).toEqual(['/after']);
    expect((await lines(`${filePath}.1`, 1)).map((l) => JSON.parse(l).RequestPath)).toEqual(['/before']);
    expect(statSync(filePath).size).toBeGreaterThan(0);
  });
});

describe('filters', () => {
  it.each([
    ['404', [404, 404]],
    ['500-599', [500, 599]],
  ])('parseStatusRange(%j)', (text, range) => {
    expect(parseStatusRange(text)).toEqual(range);
  });

  const MS = 1e6;
  it.each([
    { filters: {}, status: 200, retries: 0, ns: 0, kept: true },
    { filters: { statusCodes: ['200', '300-302'] }, status: 301, retries: 0, ns: 0, kept: true },
    { filters: { statusCodes: ['200', '300-302'] }, status: 303, retries: 0, ns: 0, kept: false },
    { filters: { statusCodes: ['500-599'] }, status: 499, retries: 0, ns: 0, kept: false },
    { filters: { retryAttempts: true }, status: 200, retries: 1, ns: 0, kept: true },
    { filters: { retryAttempts: true }, status: 200, retries: 0, ns: 0, kept: false },
    { filters: { minDuration: '10ms' }, status: 200, retries: 0, ns: 11 * MS, kept: true },
    { filters: { minDuration: '10ms' }, status: 200, retries: 0, ns: 10 * MS, kept: false },
    { filters: { statusCodes: ['404'], minDuration: '1s' }, status: 404, retries: 0, ns: 0, kept: true },
    { filters: { statusCodes: ['404'], retryAttempts: true }, status: 200, retries: 2, ns: 0, kept: true },
  ])(
    '$filters: status $status, $retries retries, $ns ns → kept $kept',
    ({ filters, status, retries, ns, kept }) => {
      const filter = compileFilters(AccessLogSchema.parse({ filters }).filters ?? ({} as never));
      expect(filter === undefined ? true : filter(status, retries, ns)).toBe(kept);
    },
  );

  it('refuses a status code that is no code or range, naming the fix', () => {
    const r = AccessLogSchema.safeParse({ filters: { statusCodes: ['5xx'] } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/e\.g\. "404" or "500-599"/);
  });
});
