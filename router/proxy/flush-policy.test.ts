import { describe, expect, it } from 'vitest';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { COALESCE_BYTES, FlushCoalescer, flushMode } from './flush-policy.ts';

describe('flushMode', () => {
  it.each([
    {
      name: 'default interval with Content-Length',
      interval: 100,
      type: 'text/html',
      length: '10',
      mode: 100,
    },
    { name: 'negative: every write', interval: -1, type: 'text/html', length: '10', mode: -1 },
    {
      name: 'server-sent events: every write',
      interval: 100,
      type: 'text/event-stream',
      length: '10',
      mode: -1,
    },
    {
      name: 'server-sent events with parameters, any case',
      interval: 100,
      type: 'Text/Event-Stream; charset=utf-8',
      length: undefined,
      mode: -1,
    },
    {
      name: 'no Content-Length (a stream): every write',
      interval: 100,
      type: 'text/plain',
      length: undefined,
      mode: -1,
    },
    { name: '0: at the end only', interval: 0, type: undefined, length: '10', mode: 0 },
  ])('$name', ({ interval, type, length, mode }) => {
    expect(flushMode(interval, type, length)).toBe(mode);
  });
});

/** A stand-in for a response: records cork depth and what each uncork let out. */
function target() {
  const log: string[] = [];
  let depth = 0;
  return {
    log,
    get depth() {
      return depth;
    },
    cork() {
      depth++;
      log.push('cork');
    },
    uncork() {
      depth--;
      log.push('uncork');
    },
  };
}

describe('FlushCoalescer', () => {
  it('holds small writes for the interval', () => {
    const clock = manualClock();
    const t = target();
    const c = new FlushCoalescer(t, 100, clock);
    c.before(10);
    c.after(10, true);
    c.before(10);
    c.after(10, true);
    expect(t.log).toEqual(['cork']);
    clock.advance(99);
    expect(c.holding).toBe(true);
    clock.advance(1);
    expect(t.log).toEqual(['cork', 'uncork']);
    expect(t.depth).toBe(0);
  });

  it(`lets ${COALESCE_BYTES} bytes out at once, and a large write straight through`, () => {
    const clock = manualClock();
    const t = target();
    const c = new FlushCoalescer(t, 100, clock);
    c.before(COALESCE_BYTES - 1);
    c.after(COALESCE_BYTES - 1, true);
    c.before(1);
    c.after(1, true);
    expect(t.log).toEqual(['cork', 'uncork']);
    expect(clock.pending).toBe(0);
    c.before(COALESCE_BYTES);
    c.after(COALESCE_BYTES, true);
    expect(t.log).toEqual(['cork', 'uncork']);
  });

  it('flushes when the client pushes back, and at the end', () => {
    const clock = manualClock();
    const t = target();
    const c = new FlushCoalescer(t, 100, clock);
    c.before(10);
    c.after(10, false);
    expect(t.depth).toBe(0);
    c.before(10);
    c.after(10, true);
    c.flush();
    c.flush();
    expect(t.log).toEqual(['cork', 'uncork', 'cork', 'uncork']);
    expect(clock.pending).toBe(0);
  });

  it('with an interval of 0 holds until the buffer is full or the end', () => {
    const clock = manualClock();
    const t = target();
    const c = new FlushCoalescer(t, 0, clock);
    c.before(10);
    c.after(10, true);
    expect(clock.pending).toBe(0);
    expect(c.holding).toBe(true);
    c.flush();
    expect(t.depth).toBe(0);
  });
});
