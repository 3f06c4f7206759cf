import { describe, expect, it } from 'vitest';
import type { BanRecord } from '../../middleware/ban/ban-list.ts';
import { banConsulKey, banValue, parseBanValue } from './consul-ban-sync.ts';

const record: BanRecord = {
  middleware: 'ban@file',
  ip: '2001:db8::1',
  reason: '5 failures within 10m: basicAuth ×5',
  since: Date.parse('2026-01-01T00:00:00.000Z'),
  until: Date.parse('2026-01-01T00:10:00.000Z'),
  offence: 2,
  forgetAt: Date.parse('2026-01-08T00:10:00.000Z'),
  replica: 'edge-1',
};

describe('ban keys and values in Consul', () => {
  it.each([
    ['ban@file', '203.0.113.7', 'wharf/bans/ban@file/203.0.113.7'],
    ['ban@docker', '2001:db8::1', 'wharf/bans/ban@docker/2001:db8::1'],
    ['a/b%c@consul', '10.0.0.1', 'wharf/bans/a%2Fb%25c@consul/10.0.0.1'],
  ])('%s %s -> %s', (middleware, ip, key) => {
    expect(banConsulKey('wharf/bans/', middleware, ip)).toBe(key);
  });

  it('a value reads back as the record it was written from', () => {
    expect(JSON.parse(banValue(record))).toEqual({
      middleware: 'ban@file',
      ip: '2001:db8::1',
      reason: '5 failures within 10m: basicAuth ×5',
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:10:00.000Z',
      offence: 2,
      forgetAt: '2026-01-08T00:10:00.000Z',
      replica: 'edge-1',
    });
    expect(parseBanValue(banValue(record))).toEqual(record);
  });

  it.each([
    ['not JSON', 'x'],
    [
      'no ip',
      JSON.stringify({ middleware: 'b@file', since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }),
    ],
    ['a bad time', JSON.stringify({ middleware: 'b@file', ip: '1.2.3.4', since: 'soon', until: 'later' })],
  ])('%s is not a ban', (_n, text) => {
    expect(parseBanValue(text)).toBeUndefined();
  });

  it('fills what an older or hand-written value lacks', () => {
    const text = JSON.stringify({
      middleware: 'b@file',
      ip: '1.2.3.4',
      since: '2026-01-01T00:00:00Z',
      until: '2026-01-01T01:00:00Z',
    });
    expect(parseBanValue(text)).toEqual({
      middleware: 'b@file',
      ip: '1.2.3.4',
      reason: '',
      since: Date.parse('2026-01-01T00:00:00Z'),
      until: Date.parse('2026-01-01T01:00:00Z'),
      offence: 1,
      forgetAt: Date.parse('2026-01-01T01:00:00Z'),
      replica: '',
    });
  });
});
