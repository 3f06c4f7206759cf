import { describe, expect, it } from 'vitest';
import { consoleLine, rfc3339 } from './console-line.ts';

const NOW = new Date(Date.UTC(2026, 10, 21, 10, 0, 0));

describe('consoleLine (Traefik common log format: zerolog console lines)', () => {
  it.each([
    {
      name: 'level tag, message, fields sorted with error first',
      line: { level: 'warn', msg: 'bad label', zeta: 1, error: 'boom', alpha: 'a b' },
      color: false,
      out: `${rfc3339(NOW)} WRN bad label error=boom alpha="a b" zeta=1\n`,
    },
    {
      name: 'every pino level maps to zerolog three letters',
      line: { level: 'debug', msg: 'm' },
      color: false,
      out: `${rfc3339(NOW)} DBG m\n`,
    },
    {
      name: 'objects as JSON',
      line: { level: 'info', msg: 'started', o: { a: 1 } },
      color: false,
      out: `${rfc3339(NOW)} INF started o={"a":1}\n`,
    },
    {
      name: 'colours: dark grey time, green INF, cyan field names',
      line: { level: 'info', msg: 'started', k: 'v' },
      color: true,
      out: `\x1b[90m${rfc3339(NOW)}\x1b[0m \x1b[32mINF\x1b[0m started \x1b[36mk=\x1b[0mv\n`,
    },
  ])('$name', ({ line, color, out }) => {
    expect(consoleLine(JSON.stringify(line), color, NOW)).toBe(out);
  });

  it.each([
    ['trace', 'TRC'],
    ['error', 'ERR'],
    ['fatal', 'FTL'],
  ])('%s → %s', (level, tag) => {
    expect(consoleLine(JSON.stringify({ level, msg: 'x' }), false, NOW)).toContain(` ${tag} x`);
  });

  it('passes a line that is not JSON unchanged', () => {
    expect(consoleLine('plain\n', true, NOW)).toBe('plain\n');
  });
});

describe('rfc3339', () => {
  it('writes Go RFC 3339 (seconds, Z or ±hh:mm)', () => {
    expect(rfc3339(NOW)).toMatch(/^2026-11-21T\d\d:00:00(Z|[+-]\d\d:\d\d)$/);
  });
});
