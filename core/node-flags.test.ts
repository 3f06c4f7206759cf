import { describe, expect, it } from 'vitest';
import { activeAllocator, allocatorChoice, JEMALLOC_LIBRARY, withPreload } from './node-flags.ts';

const DEBIAN = `/usr/lib/x86_64-linux-gnu/${JEMALLOC_LIBRARY}`;
const IMAGE = `/usr/lib/${JEMALLOC_LIBRARY}`;

describe('allocatorChoice', () => {
  const cases: Array<
    [string, string | undefined, readonly string[], { preload?: string; warning?: RegExp }]
  > = [
    ['unset, installed: jemalloc', undefined, [DEBIAN], { preload: DEBIAN }],
    ['auto, installed: jemalloc', 'auto', [DEBIAN], { preload: DEBIAN }],
    ['empty, image path: jemalloc', '', [IMAGE], { preload: IMAGE }],
    ['multiarch folder first', undefined, [IMAGE, DEBIAN], { preload: DEBIAN }],
    ['unset, missing: glibc, silently', undefined, [], {}],
    [
      'jemalloc asked, missing: glibc with the install command',
      'jemalloc',
      [],
      { warning: /apt-get install -y libjemalloc2/ },
    ],
    ['JEMALLOC (any case)', 'JEMALLOC', [DEBIAN], { preload: DEBIAN }],
    ['glibc asked: nothing preloaded', 'glibc', [DEBIAN], {}],
    [
      'unknown value: glibc with a warning naming it',
      'tcmalloc',
      [DEBIAN],
      { warning: /WHARF_MALLOC=tcmalloc is not an allocator/ },
    ],
  ];
  it.each(cases)('%s', (_name, setting, present, want) => {
    const got = allocatorChoice(setting, (p) => present.includes(p));
    expect(got.preload).toBe(want.preload);
    if (want.warning === undefined) expect(got.warning).toBeUndefined();
    else expect(got.warning).toMatch(want.warning);
  });
});

describe('withPreload', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, DEBIAN],
    ['', DEBIAN],
    ['/opt/trace.so', `${DEBIAN}:/opt/trace.so`],
    ['/opt/a.so /opt/b.so', `${DEBIAN}:/opt/a.so:/opt/b.so`],
    [DEBIAN, undefined],
    [`/opt/a.so:${DEBIAN}`, undefined],
    // The user's own allocator is kept; no second one is added.
    [IMAGE, undefined],
    ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', undefined],
    ['/usr/lib/x86_64-linux-gnu/libmimalloc.so.2', undefined],
  ];
  it.each(cases)('LD_PRELOAD=%s', (current, want) => {
    expect(withPreload(current, DEBIAN)).toBe(want);
  });
});

describe('activeAllocator', () => {
  it.each([
    [{ LD_PRELOAD: DEBIAN }, 'jemalloc'],
    [{ LD_PRELOAD: '/opt/a.so' }, 'glibc'],
    [{}, 'glibc'],
  ] as const)('%o', (env, want) => {
    expect(activeAllocator(env)).toBe(want);
  });
});
