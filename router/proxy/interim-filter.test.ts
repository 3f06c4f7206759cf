import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../test/helpers/backends.ts';
import { createForwarder } from './forward.ts';
import { InterimFilter } from './interim-filter.ts';
import { UpstreamPools } from './upstream-pools.ts';

/** Feeds `chunks` after a request start (and `again` after a second one) and returns what passes. */
function run(chunks: string[], again: string[] = []): string {
  const filter = new InterimFilter();
  let out = '';
  const feed = (list: string[]) => {
    for (const c of list) out += filter.push(Buffer.from(c, 'latin1'))?.toString('latin1') ?? '';
  };
  filter.requestStarted();
  feed(chunks);
  if (again.length > 0) {
    filter.requestStarted();
    feed(again);
  }
  return out;
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

describe('InterimFilter', () => {
  const cases: Array<{ name: string; chunks: string[]; again?: string[]; out: string }> = [
    { name: 'a final response passes unchanged', chunks: [OK], out: OK },
    { name: 'a 100 before the final response is dropped', chunks: [CONTINUE + OK], out: OK },
    { name: 'several 100s are dropped', chunks: [CONTINUE, CONTINUE, OK], out: OK },
    {
      name: 'a 100 split at every byte is dropped',
      chunks: [...CONTINUE, ...OK.slice(0, 12), OK.slice(12)],
      out: OK,
    },
    {
      name: 'a 100 with headers and bare LF line ends is dropped',
      chunks: ['HTTP/1.0 100 Continue\nX-A: 1\n\n', OK],
      out: OK,
    },
    {
      name: '102 and 103 pass, a 100 after them is dropped',
      chunks: [
        'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n',
        '\r\n',
        CONTINUE,
        'HTTP/1.1 102 Processing\r\n\r\n',
        OK,
      ],
      out: `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${OK}`,
    },
    {
      name: 'a body that looks like a 100 is not touched',
      chunks: ['HTTP/1.1 200 OK\r\ncontent-length: 25\r\n\r\n', CONTINUE],
      out: `HTTP/1.1 200 OK\r\ncontent-length: 25\r\n\r\n${CONTINUE}`,
    },
    {
      name: '101 ends the checking (the bytes after it belong to the new protocol)',
      chunks: [`HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n${CONTINUE}`],
      out: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n${CONTINUE}`,
    },
    {
      name: 'each request starts a new check on a kept-alive connection',
      chunks: [OK],
      again: [CONTINUE, OK],
      out: OK + OK,
    },
    { name: 'garbage passes (undici refuses it)', chunks: ['junk\r\n\r\n'], out: 'junk\r\n\r\n' },
  ];
  it.each(cases)('$name', ({ chunks, again, out }) => {
    expect(run(chunks, again)).toBe(out);
  });

  it('holds an unfinished 100 head and passes an oversized one', () => {
    const filter = new InterimFilter();
    filter.requestStarted();
    expect(filter.push(Buffer.from('HTTP/1.1 100 Continue\r\nX: 1'))).toBeNull();
    const huge = Buffer.from(`HTTP/1.1 100 Continue\r\nX: ${'a'.repeat(20_000)}`);
    const other = new InterimFilter();
    other.requestStarted();
    expect(other.push(huge)?.length).toBe(huge.length);
  });

  it('passes chunks through untouched while idle (no request asked)', () => {
    const chunk = Buffer.from(CONTINUE);
    expect(new InterimFilter().push(chunk)).toBe(chunk);
  });
});

describe('an unsolicited 100 Continue from a server', () => {
  const pools = new UpstreamPools();
  const client = new Agent();
  afterAll(async () => {
    await pools.close();
    await client.close();
  });

  it('is skipped: the client gets the final response, and the connection is reused', async () => {
    // A raw backend: every request (none carries Expect) gets `100 Continue`, then the 200, in two writes.
    const sockets = new Set<Socket>();
    let requests = 0;
    const raw = createServer((socket) => {
      sockets.add(socket);
      let buffered = '';
      socket.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        while (buffered.includes('\r\n\r\n')) {
          const head = buffered.slice(0, buffered.indexOf('\r\n\r\n'));
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
          expect(head.toLowerCase()).not.toContain('expect:');
          requests++;
          socket.write('HTTP/1.1 100 Continue\r\n\r\n');
          setImmediate(() =>
            socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-N: ${requests}\r\n\r\nhello`),
          );
        }
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const forwarder = createForwarder(
      { url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` },
      { passHostHeader: true, flushIntervalMs: 100 },
      pools,
    );
    const proxy = await startProxy(forwarder);
    try {
      for (let i = 1; i <= 3; i++) {
        const res = await request(`${proxy.url}/x`, { dispatcher: client });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-n']).toBe(String(i));
        expect(await res.body.text()).toBe('hello');
      }
      expect(proxy.errors).toEqual([]);
      expect(sockets.size).toBe(1);
    } finally {
      forwarder.close();
      await proxy.close();
      for (const s of sockets) s.destroy();
      raw.close();
    }
  });
});
