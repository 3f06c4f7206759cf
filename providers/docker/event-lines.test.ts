import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { containerOfEvent } from './docker-watcher.ts';
import { EventLines } from './event-lines.ts';

async function batches(chunks: Array<string | Buffer>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const b of new EventLines(Readable.from(chunks))) out.push(b);
  return out;
}

describe('EventLines', () => {
  it('splits newline-delimited JSON whatever the chunk boundaries', async () => {
    const a = '{"id":"a","status":"start"}';
    const b = '{"id":"b","status":"die"}';
    expect(await batches([`${a}\n${b.slice(0, 5)}`, `${b.slice(5)}\n`])).toEqual([[a], [b]]);
    expect(await batches([`${a}\n${b}\n`])).toEqual([[a, b]]);
    expect(await batches([`${a}\n`, '\n', b])).toEqual([[a], [b]]);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const line = Buffer.from('{"name":"café"}\n');
    const cut = line.indexOf(0xc3) + 1;
    expect(await batches([line.subarray(0, cut), line.subarray(cut)])).toEqual([['{"name":"café"}']]);
  });
});

describe('containerOfEvent', () => {
  const cases: Array<[string, object, string | undefined]> = [
    ['container start', { Type: 'container', Action: 'start', Actor: { ID: 'c1' } }, 'c1'],
    [
      'health status with suffix',
      { Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'c1' } },
      'c1',
    ],
    ['old-style status field', { status: 'die', id: 'c2' }, 'c2'],
    ['rename', { Type: 'container', Action: 'rename', Actor: { ID: 'c3' } }, 'c3'],
    [
      'exec events do not matter',
      { Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'c1' } },
      undefined,
    ],
    [
      'network connect names the container',
      { Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { container: 'c4' } } },
      'c4',
    ],
    ['network create does not matter', { Type: 'network', Action: 'create', Actor: { ID: 'n1' } }, undefined],
  ];
  for (const [name, event, expected] of cases) {
    it(name, () => expect(containerOfEvent(event)).toBe(expected));
  }
});
