import { describe, expect, it } from 'vitest';
import { parseBucketReply, redisBucketKey, tokenBucketArguments } from './redis-token-bucket.ts';

describe('the Redis token bucket: keys, arguments, replies', () => {
  it.each([
    ['limit@file', '10.0.0.1', 'rate:limit@file:10.0.0.1'],
    ['limit@docker', '', 'rate:limit@docker:'],
    ['a@consul', 'host.example:8080', 'rate:a@consul:host.example:8080'],
  ])("Traefik's key for %s and source %j is %s", (middleware, source, key) => {
    expect(redisBucketKey(middleware, source)).toBe(key);
  });

  it.each([
    // rate per second, burst, longest wait (ns) -> per microsecond, burst, microseconds
    [100, 200, 5e6, ['0.0001', '200', '5000']],
    [1 / 3600, 1, 500e6, [String(1 / 3600 / 1e6), '1', '500000']],
    [3, 1, 166_666_666, ['0.000003', '1', '166666.666']],
  ])('rate %d/s, burst %d, longest wait %dns', (rate, burst, maxDelay, args) => {
    expect(tokenBucketArguments(rate, burst, maxDelay)).toEqual(args);
  });

  it.each([
    [[1, 0], { taken: true, waitNs: 0 }],
    [[1, 25_000_000], { taken: true, waitNs: 25_000_000 }],
    [[0, 3_600_000_000_000], { taken: false, waitNs: 3_600_000_000_000 }],
  ])('reply %j', (reply, decision) => {
    expect(parseBucketReply(reply)).toEqual(decision);
  });

  it.each([[['true', '0']], [[1]], [[2, 0]], [[1, -1]], ['OK'], [null]])('reply %j is refused', (reply) => {
    expect(() => parseBucketReply(reply)).toThrow('unexpected reply');
  });
});
