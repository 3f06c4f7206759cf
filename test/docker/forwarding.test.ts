import { describe, expect, it } from 'vitest';
import { runIdOfRule, splitRule } from './forwarding.ts';

describe('FORWARD rules of test runs', () => {
  it.each([
    [
      '-A FORWARD -i wtab12cd+ -m comment --comment "wharf-test ab12cd34-4242" -j ACCEPT',
      [
        '-A',
        'FORWARD',
        '-i',
        'wtab12cd+',
        '-m',
        'comment',
        '--comment',
        'wharf-test ab12cd34-4242',
        '-j',
        'ACCEPT',
      ],
      'ab12cd34-4242',
    ],
    [
      '-A FORWARD -o br-1234 -m comment --comment "someone else" -j ACCEPT',
      ['-A', 'FORWARD', '-o', 'br-1234', '-m', 'comment', '--comment', 'someone else', '-j', 'ACCEPT'],
      undefined,
    ],
    ['-A FORWARD -j DOCKER-USER', ['-A', 'FORWARD', '-j', 'DOCKER-USER'], undefined],
  ])('%s', (line, args, runId) => {
    expect(splitRule(line)).toEqual(args);
    expect(runIdOfRule(line)).toBe(runId);
  });
});
