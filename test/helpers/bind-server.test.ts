import { afterEach, describe, expect, it } from 'vitest';
import { ensureBind } from './bind-server.ts';

describe('ensureBind', () => {
  const saved = process.env.WHARF_BIND;
  afterEach(() => {
    if (saved === undefined) delete process.env.WHARF_BIND;
    else process.env.WHARF_BIND = saved;
  });

  // The switch wins over an installed BIND, so a run can leave the DNS-01 tests out on purpose.
  it('WHARF_BIND=off skips, whether or not BIND is installed', async () => {
    process.env.WHARF_BIND = 'off';
    expect(await ensureBind()).toBe('disabled by WHARF_BIND=off');
  });
});
