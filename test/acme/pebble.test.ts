import { afterEach, describe, expect, it } from 'vitest';
import { ensurePebble } from './pebble.ts';

describe('ensurePebble', () => {
  const saved = process.env.WHARF_PEBBLE;
  afterEach(() => {
    if (saved === undefined) delete process.env.WHARF_PEBBLE;
    else process.env.WHARF_PEBBLE = saved;
  });

  // Before the fix an installed Pebble won over WHARF_PEBBLE=off; the answer must not depend on PATH.
  it('WHARF_PEBBLE=off skips, whether or not Pebble is installed', async () => {
    process.env.WHARF_PEBBLE = 'off';
    expect(await ensurePebble()).toBe('disabled by WHARF_PEBBLE=off');
  });
});
