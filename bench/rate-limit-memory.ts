// Bytes per remembered rateLimit source (heap + typed arrays), IPv4-like keys:
//   npm exec -- node --expose-gc bench/rate-limit-memory.ts [sources, default 1000000]
import { TokenBuckets } from '../middleware/rate-limit/token-buckets.ts';

const n = Number(process.argv[2] ?? 1_000_000);
globalThis.gc?.();
const before = process.memoryUsage();
const b = new TokenBuckets(1, 1, n);
for (let i = 0; i < n; i++) b.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0, 0);
globalThis.gc?.();
const after = process.memoryUsage();
const heap = after.heapUsed - before.heapUsed,
  ext = after.arrayBuffers - before.arrayBuffers;
console.log(
  JSON.stringify({
    sources: b.size,
    bytesPerSource: Math.round((heap + ext) / n),
    heapPerSource: Math.round(heap / n),
    typedArraysPerSource: Math.round(ext / n),
  }),
);
