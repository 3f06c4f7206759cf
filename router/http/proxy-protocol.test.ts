import { describe, expect, it } from 'vitest';
import { parseProxyHeader } from './proxy-protocol.ts';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A PROXY v2 header: command (0 LOCAL, 1 PROXY), family/protocol byte, address block. */
function v2(command: number, family: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([SIG, Buffer.from([0x20 | command, family]), len, body]);
}
const v4Body = Buffer.from([203, 0, 113, 9, 127, 0, 0, 1, 0x30, 0x39, 0x00, 0x50]);
const v6Body = Buffer.concat([
  Buffer.from('20010db8000000000000000000000001', 'hex'),
  Buffer.alloc(16),
  Buffer.from([0x01, 0xbb, 0x00, 0x50]),
]);

describe('parseProxyHeader', () => {
  it.each<[string, Buffer, unknown]>([
    [
      'v1 TCP4',
      Buffer.from('PROXY TCP4 203.0.113.9 10.0.0.1 56324 443\r\nGET'),
      { kind: 'header', length: 43, peer: { address: '203.0.113.9', port: 56324 } },
    ],
    [
      'v1 TCP6',
      Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 2\r\n'),
      { kind: 'header', length: 32, peer: { address: '2001:db8::1', port: 1 } },
    ],
    ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), { kind: 'header', length: 15 }],
    ['v1 without its end yet', Buffer.from('PROXY TCP4 203.0.113.9'), { kind: 'more' }],
    ['a prefix of PROXY', Buffer.from('PRO'), { kind: 'more' }],
    [
      'v1 with a bad address',
      Buffer.from('PROXY TCP4 203.0.113 10.0.0.1 1 2\r\n'),
      { kind: 'invalid', problem: 'PROXY v1 addresses or ports malformed' },
    ],
    [
      'v1 with a bad port',
      Buffer.from('PROXY TCP4 1.2.3.4 10.0.0.1 70000 2\r\n'),
      { kind: 'invalid', problem: 'PROXY v1 addresses or ports malformed' },
    ],
    [
      'v1 too long',
      Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`),
      { kind: 'invalid', problem: 'PROXY v1 line longer than 107 bytes' },
    ],
    [
      'v1 family mismatch',
      Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n'),
      { kind: 'invalid', problem: 'PROXY v1 addresses or ports malformed' },
    ],
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\n'), { kind: 'none' }],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01]), { kind: 'none' }],
    [
      'v2 PROXY TCP4',
      v2(1, 0x11, v4Body),
      { kind: 'header', length: 28, peer: { address: '203.0.113.9', port: 12345 } },
    ],
    [
      'v2 PROXY TCP6',
      v2(1, 0x21, v6Body),
      { kind: 'header', length: 52, peer: { address: '2001:db8::1', port: 443 } },
    ],
    ['v2 LOCAL', v2(0, 0x00, Buffer.alloc(0)), { kind: 'header', length: 16 }],
    [
      'v2 with TLVs after the addresses',
      v2(1, 0x11, Buffer.concat([v4Body, Buffer.from([0x04, 0, 1, 7])])),
      { kind: 'header', length: 32, peer: { address: '203.0.113.9', port: 12345 } },
    ],
    ['v2 truncated', v2(1, 0x11, v4Body).subarray(0, 20), { kind: 'more' }],
    ['v2 signature only', SIG.subarray(0, 5), { kind: 'more' }],
    [
      'v2 version 1',
      Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0, 0])]),
      { kind: 'invalid', problem: 'PROXY v2 header with another version' },
    ],
    [
      'v2 short IPv4 block',
      v2(1, 0x11, Buffer.alloc(4)),
      { kind: 'invalid', problem: 'PROXY v2 IPv4 addresses truncated' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(parseProxyHeader(input)).toEqual(expected);
  });
});
