import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { type ClientHelloPeek, readClientHello } from './client-hello.ts';

/** The first record a real Node TLS client sends to a loopback server (which never answers). */
async function captureHello(servername: string | undefined, ALPNProtocols?: string[]): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          resolve(all);
          s.destroy();
        }
      });
    }),
  );
  const client = connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    ...(servername !== undefined ? { servername } : {}),
    ...(ALPNProtocols ? { ALPNProtocols } : {}),
    rejectUnauthorized: false,
  });
  client.on('error', () => client.destroy());
  try {
    return await got;
  } finally {
    client.destroy();
    server.close();
  }
}

/** A minimal ClientHello record with the given extensions (type, data) pairs. */
function hello(extensions: Array<[number, Buffer]> | undefined): Buffer {
  const ext = extensions
    ? Buffer.concat(extensions.map(([t, d]) => Buffer.concat([u16(t), u16(d.length), d])))
    : undefined;
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32),
    Buffer.from([0]), // session id
    u16(2),
    Buffer.from([0x13, 0x01]), // one cipher suite
    Buffer.from([1, 0]), // compression: null
    ...(ext ? [u16(ext.length), ext] : []),
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const sni = (name: string) => {
  const n = Buffer.from(name, 'latin1');
  const entry = Buffer.concat([Buffer.from([0]), u16(n.length), n]);
  return Buffer.concat([u16(entry.length), entry]);
};

describe('readClientHello', () => {
  it('reads the server name from real ClientHellos, with and without SNI', async () => {
    expect(readClientHello(await captureHello('Api.Example.COM'))).toEqual({
      kind: 'hello',
      serverName: 'api.example.com',
    });
    expect(readClientHello(await captureHello(undefined))).toEqual({ kind: 'hello', serverName: undefined });
  });

  it('reads the offered ALPN protocols (acme-tls/1 marks an ACME TLS-ALPN-01 validation)', async () => {
    expect(readClientHello(await captureHello('a.test', ['acme-tls/1']))).toEqual({
      kind: 'hello',
      serverName: 'a.test',
      alpn: ['acme-tls/1'],
    });
    expect(readClientHello(await captureHello(undefined, ['h2', 'http/1.1']))).toEqual({
      kind: 'hello',
      serverName: undefined,
      alpn: ['h2', 'http/1.1'],
    });
  });

  const full = hello([
    [10, Buffer.from([0, 2, 0, 0x1d])],
    [0, sni('a.test.')],
  ]);
  const cases: Array<{ name: string; input: Buffer; expected: ClientHelloPeek }> = [
    {
      name: 'SNI after another extension, trailing dot dropped',
      input: full,
      expected: { kind: 'hello', serverName: 'a.test' },
    },
    {
      name: 'no extensions at all',
      input: hello(undefined),
      expected: { kind: 'hello', serverName: undefined },
    },
    {
      name: 'extensions without SNI',
      input: hello([[10, Buffer.from([0, 2, 0, 0x1d])]]),
      expected: { kind: 'hello', serverName: undefined },
    },
    {
      name: 'an empty host name',
      input: hello([[0, sni('')]]),
      expected: { kind: 'hello', serverName: undefined },
    },
    { name: 'fewer than 5 bytes', input: full.subarray(0, 4), expected: { kind: 'incomplete' } },
    {
      name: 'a record cut short',
      input: full.subarray(0, full.length - 1),
      expected: { kind: 'incomplete' },
    },
    { name: 'not a handshake record', input: Buffer.from('GET / HTTP/1.1\r\n'), expected: { kind: 'other' } },
    {
      name: 'a record longer than TLS allows',
      input: Buffer.from([0x16, 3, 1, 0x50, 0]),
      expected: { kind: 'other' },
    },
    {
      name: 'a handshake that is not a ClientHello',
      input: Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0]),
      expected: { kind: 'other' },
    },
    {
      name: 'an extension longer than the hello',
      input: (() => {
        const b = Buffer.from(full);
        b.writeUInt16BE(0x7fff, b.length - sni('a.test.').length - 2);
        return b;
      })(),
      expected: { kind: 'other' },
    },
  ];
  for (const c of cases) it(c.name, () => expect(readClientHello(c.input)).toEqual(c.expected));

  it('a ClientHello longer than its first record has no name (the default options apply)', () => {
    const b = Buffer.from(full);
    b[7] = 0x7f; // handshake length far beyond the record
    expect(readClientHello(b)).toEqual({ kind: 'hello', serverName: undefined });
  });
});
