import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestState } from '../../middleware/request-state.ts';
import { until } from '../../test/helpers/backends.ts';
import { clfUser, createAccessLog, quoteClf } from './access-log.ts';

describe('quoteClf', () => {
  it.each([
    ['curl/8.0', '"curl/8.0"'],
    ['a"b', '"a\\"b"'],
    ['a\\', '"a\\\\"'],
    ['x\\" 200 0 "-" "forged', '"x\\\\\\" 200 0 \\"-\\" \\"forged"'],
    ['tab\there', '"tab\\x09here"'],
    ['nul\u0000del\u007f', '"nul\\x00del\\x7f"'],
    ['héllo', '"héllo"'],
  ])('%j → %s', (value, expected) => {
    expect(quoteClf(value)).toBe(expected);
  });
});

describe('clfUser (the ClientUsername field of the common format)', () => {
  it.each([
    [undefined, '-'],
    ['', '-'],
    ['alice', 'alice'],
    ['jöhn', 'jöhn'],
    ['a b', 'a\\x20b'],
    ['x" 200 0 "-', 'x\\x22\\x20200\\x200\\x20\\x22-'],
    ['a\\b', 'a\\x5cb'],
    ['nl\nforged', 'nl\\x0aforged'],
  ])('%j → %s', (user, expected) => {
    expect(clfUser(user)).toBe(expected);
  });
});

describe('createAccessLog (common)', () => {
  it('escapes quotes in Referer, User-Agent and the path: one line per request, fields intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-access-'));
    const filePath = join(dir, 'access.log');
    const log = createAccessLog({ filePath, format: 'common' });
    const req = {
      method: 'GET',
      httpVersion: '1.1',
      headers: { referer: 'r" 200 1 "-" "x', 'user-agent': 'ua\\" "forged' },
      socket: { remotePort: 1234 },
    } as unknown as IncomingMessage;
    const res = { headersSent: true, statusCode: 200, getHeader: () => '2' } as unknown as ServerResponse;
    const state = {
      entryPoint: 'web',
      scheme: 'http',
      clientIp: '127.0.0.1',
      start: process.hrtime.bigint(),
      originalUrl: '/a"b',
    } as RequestState;
    log.log(req, res, state);
    // The file opens asynchronously and lines wait for it: closing before would throw.
    await until(() => existsSync(filePath) && statSync(filePath).size > 0, 'the access log line');
    log.close(); // flushes synchronously
    const text = await readFile(filePath, 'utf8');
    await rm(dir, { recursive: true, force: true });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    // Every quoted field is "…" with only escaped quotes inside: request, referer, user agent, router, server.
    const fields = lines[0]!.match(/"(?:[^"\\]|\\.)*"/g);
    expect(fields).toEqual([
      '"GET /a\\"b HTTP/1.1"',
      '"r\\" 200 1 \\"-\\" \\"x"',
      '"ua\\\\\\" \\"forged"',
      '"-"',
      '"-"',
    ]);
  });
});
