import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ServerTimes } from './least-time.ts';
import { clientKey, createChooser, type Strategy } from './strategy.ts';

const peer = (remoteAddress: string | undefined) =>
  ({ socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('clientKey', () => {
  it.each([
    { name: 'IPv4 as it is', address: '192.0.2.7', key: '192.0.2.7' },
    {
      name: 'IPv4 on a dual-stack socket, written as Go writes it',
      address: '::ffff:192.0.2.7',
      key: '192.0.2.7',
    },
    { name: 'IPv6 as it is', address: '2001:db8::1', key: '2001:db8::1' },
    { name: 'no address (a destroyed socket)', address: undefined, key: '' },
  ])('$name', ({ address, key }) => {
    expect(clientKey(peer(address))).toBe(key);
  });
});

describe('createChooser', () => {
  const servers = [
    { url: 'http://a', weight: 1, times: new ServerTimes() },
    { url: 'http://b', weight: 0, times: new ServerTimes() },
  ];
  it.each([
    { strategy: undefined, size: 1, measures: 'nothing', sticky: true },
    { strategy: 'wrr', size: 1, measures: 'nothing', sticky: true },
    // Traefik's p2c ignores weights: the weight-0 server is one of its servers.
    { strategy: 'p2c', size: 2, measures: 'inFlight', sticky: true },
    { strategy: 'hrw', size: 1, measures: 'nothing', sticky: false },
    { strategy: 'leasttime', size: 1, measures: 'firstByte', sticky: true },
  ] as Array<{ strategy: Strategy | undefined; size: number; measures: string; sticky: boolean }>)(
    '$strategy',
    ({ strategy, size, measures, sticky }) => {
      const c = createChooser(strategy, servers, () => 0);
      expect({ size: c.size, measures: c.measures, sticky: c.sticky }).toEqual({ size, measures, sticky });
      expect(c.next(undefined, peer('192.0.2.1'))?.url).toBe('http://a');
    },
  );
});
