#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=8 --initial-old-space-size=8 --heap-growing-percent=20 --expose-gc
// The registrar. It runs its TypeScript sources directly (Node's type stripping), which needs Node >= 22.19.
import { launch } from './launch.js';

await launch('wharf-registrar', '../registrar/main.ts');
