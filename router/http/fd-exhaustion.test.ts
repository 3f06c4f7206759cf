import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FdExhaustion } from './fd-exhaustion.ts';

function recordingLogger(): {
  logger: pino.Logger;
  lines: Array<{ level: number; msg: string; code?: string }>;
} {
  const lines: Array<{ level: number; msg: string; code?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const error = (code: string) => Object.assign(new Error(`accept ${code}`), { code, syscall: 'accept' });

describe('FdExhaustion', () => {
  it('logs once when descriptors run out and once when they are back', () => {
    const { logger, lines } = recordingLogger();
    const fd = new FdExhaustion(logger, 0);
    fd.acceptError('web', error('EMFILE'));
    fd.acceptError('web', error('EMFILE'));
    fd.acceptError('websecure', error('ENFILE'));
    expect(fd.exhausted).toBe(true);
    fd.probe(); // this process has descriptors: recovered
    fd.probe();
    expect(fd.exhausted).toBe(false);
    fd.acceptError('web', error('ENFILE'));
    expect(lines.map((l) => [l.level, l.code, l.msg.split(':')[0]])).toEqual([
      [50, 'EMFILE', 'the process is out of file descriptors (EMFILE)'],
      [40, 'EMFILE', 'file descriptors are available again'],
      [50, 'ENFILE', 'the system is out of file descriptors (ENFILE)'],
    ]);
  });

  it('logs other accept errors as they come, without changing state', () => {
    const { logger, lines } = recordingLogger();
    const fd = new FdExhaustion(logger, 0);
    fd.acceptError('web', error('ECONNRESET'));
    expect(fd.exhausted).toBe(false);
    expect(lines.map((l) => [l.level, l.code, l.msg])).toEqual([
      [50, 'ECONNRESET', 'cannot accept a connection'],
    ]);
  });
});
