// The token bucket kept in Redis, one hash per source, as Traefik's Redis rateLimit keeps it
// (pkg/middlewares/ratelimiter/redis_limiter.go and lua.go, read for behaviour; this script is Wharf's own).
// A Traefik and a Wharf pointed at one Redis with the same middleware name share their buckets: same key,
// same fields (`last`: microseconds, `tokens`: a fraction), same arithmetic.

/** Key prefix of every bucket, Traefik's. */
export const REDIS_KEY_PREFIX = 'rate:';

/**
 * One check, run atomically by Redis (EVALSHA): refills the bucket for the time since its last check, takes
 * a token when it exists now or within the longest wait, and stores the bucket with an expiry at the
 * moment it would be full again (a missing bucket is a full one, so nothing is lost when it expires).
 *
 * KEYS[1]: the bucket. ARGV: rate (tokens per microsecond), burst, longest wait (microseconds).
 * Returns {taken (1 or 0), wait in whole nanoseconds until the token exists (0: now)}.
 *
 * The time is Redis's own (TIME), not the caller's: replicas whose clocks disagree still share one
 * bucket correctly. TIME before a write needs effects replication, the only mode since Redis 7 and the
 * default since 5.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local longest = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local saved = redis.call('HMGET', KEYS[1], 'last', 'tokens')
local last = tonumber(saved[1])
local tokens = tonumber(saved[2])
if last == nil or tokens == nil then
  tokens = burst
elseif now > last then
  tokens = math.min(burst, tokens + (now - last) * rate)
else
  -- a clock that went back counts as no time, and the bucket keeps its later time
  now = last
end
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
end
local taken = 0
if wait <= longest then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'last', now, 'tokens', tokens)
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate / 1000)))
return {taken, math.floor(wait * 1000)}
`;

/** The Redis key of a source's bucket: Traefik's `rate:<middleware>:<source>`, the middleware name qualified (`name@provider`). */
export function redisBucketKey(middleware: string, source: string): string {
  return `${REDIS_KEY_PREFIX}${middleware}:${source}`;
}

/** The script's arguments for a rate in tokens per second, a burst and the longest wait in nanoseconds. */
export function tokenBucketArguments(
  rate: number,
  burst: number,
  maxDelayNs: number,
): [string, string, string] {
  return [String(rate / 1e6), String(burst), String(maxDelayNs / 1e3)];
}

/** What one check decided. */
export interface BucketDecision {
  /** The token was taken (now, or in advance within the longest wait). */
  readonly taken: boolean;
  /** Nanoseconds until the token exists; 0: now. */
  readonly waitNs: number;
}

/** Reads the script's reply; throws on a reply of another shape (another script under the same name). */
export function parseBucketReply(reply: unknown): BucketDecision {
  if (Array.isArray(reply) && reply.length === 2) {
    const [taken, wait] = reply;
    if ((taken === 0 || taken === 1) && typeof wait === 'number' && wait >= 0)
      return { taken: taken === 1, waitNs: wait };
  }
  throw new Error(`unexpected reply from the rate limit script: ${JSON.stringify(reply)}`);
}
