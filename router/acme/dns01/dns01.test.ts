import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BindServer, ensureBind, startBind } from '../../../test/helpers/bind-server.ts';
import { authoritativeNameservers, findZone, parentNames } from './dns-client.ts';
import { parseNameserver } from './exchange.ts';
import { checkOnce, propagationRules } from './propagation.ts';
import { type Rfc2136Config, readTsigFile, rfc2136Update } from './rfc2136.ts';
import { signMessage, tsigKey, verifyAnswer } from './tsig.ts';
import { CLASS, decodeMessage, encodeMessage, encodeName, OPCODE, TYPE, txtData } from './wire.ts';

// The DNS-01 pieces: the wire format and TSIG as tables, then RFC 2136 updates, zone lookups and the
// propagation checks against a real BIND 9 (skipped with WHARF_BIND=off; a skip fails WHARF_REQUIRE_ALL=1).

describe('DNS wire format', () => {
  it.each([
    ['example.test', '076578616d706c65047465737400'],
    ['example.test.', '076578616d706c65047465737400'],
    ['.', '00'],
  ])('encodeName(%s)', (name, hex) => {
    expect(encodeName(name).toString('hex')).toBe(hex);
  });

  it.each([
    ['', [0]],
    ['abc', [3, 0x61, 0x62, 0x63]],
  ])('txtData(%j)', (value, bytes) => {
    expect([...txtData(value)]).toEqual(bytes);
  });

  it('splits TXT values over 255 bytes into several strings', () => {
    const data = txtData('x'.repeat(300));
    expect(data[0]).toBe(255);
    expect(data[256]).toBe(45);
  });

  it('decodes what it encodes, names and TXT values included', () => {
    const wire = encodeMessage({
      id: 4242,
      opcode: OPCODE.UPDATE,
      rcode: 0,
      flags: { rd: true },
      questions: [{ name: 'example.test.', type: TYPE.SOA, class: CLASS.IN }],
      answers: [],
      authorities: [
        {
          name: '_acme-challenge.example.test.',
          type: TYPE.TXT,
          class: CLASS.NONE,
          ttl: 0,
          data: txtData('v'),
        },
      ],
      additionals: [],
    });
    const m = decodeMessage(wire);
    expect(m).toMatchObject({ id: 4242, opcode: OPCODE.UPDATE, flags: { rd: true } });
    expect(m.questions).toEqual([{ name: 'example.test.', type: TYPE.SOA, class: CLASS.IN }]);
    expect(m.authorities[0]).toMatchObject({ class: CLASS.NONE, value: ['v'] });
  });

  it.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 53 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['[::1]:53', { host: '::1', port: 53 }],
    ['::1', { host: '::1', port: 53 }],
    ['ns1.example.test', { host: 'ns1.example.test', port: 53 }],
  ])('parseNameserver(%s)', (text, ns) => expect(parseNameserver(text)).toEqual(ns));

  it('lists the names up the tree', () => {
    expect(parentNames('_acme-challenge.a.example.test')).toEqual([
      '_acme-challenge.a.example.test.',
      'a.example.test.',
      'example.test.',
      'test.',
    ]);
  });
});

describe('TSIG', () => {
  const key = tsigKey('Wharf-Key', 'hmac-sha256', Buffer.alloc(32, 7).toString('base64'));

  it('canonicalizes the key name and algorithm; refuses unknown algorithms and empty secrets', () => {
    expect(key).toMatchObject({ name: 'wharf-key.', algorithm: 'hmac-sha256.' });
    expect(() => tsigKey('k', 'hmac-md5.sig-alg.reg.int', 'AAAA')).toThrow(/unsupported TSIG algorithm/);
    expect(() => tsigKey('k', 'hmac-sha1', '')).toThrow(/empty/);
  });

  it('reads a BIND key file', () => {
    expect(readTsigFile('key "acme." {\n  algorithm hmac-sha512;\n  secret "c2VjcmV0";\n};\n')).toEqual({
      name: 'acme.',
      algorithm: 'hmac-sha512',
      secret: 'c2VjcmV0',
    });
    expect(() => readTsigFile('nothing')).toThrow(/not a TSIG key file/);
  });

  it('appends one TSIG record and counts it in ARCOUNT', () => {
    const wire = encodeMessage({
      id: 1,
      opcode: OPCODE.UPDATE,
      rcode: 0,
      flags: {},
      questions: [{ name: 'example.test.', type: TYPE.SOA, class: CLASS.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    const signed = signMessage(wire, key, 1_700_000_000);
    const m = decodeMessage(signed.wire);
    expect(m.additionals).toHaveLength(1);
    expect(m.additionals[0]).toMatchObject({ name: 'wharf-key.', type: TYPE.TSIG, class: CLASS.ANY, ttl: 0 });
    expect(signed.mac).toHaveLength(32);
    // An unsigned answer is refused.
    expect(() => verifyAnswer(wire, key, signed.mac)).toThrow(/not signed/);
  });
});

const skip = await ensureBind();
if (skip) console.log(`[bind] skipped: ${skip}`);

describe.skipIf(skip !== undefined)(
  `RFC 2136 and propagation checks with a real BIND${skip ? ` (${skip})` : ''}`,
  () => {
    let bind: BindServer;
    let config: Rfc2136Config;
    beforeAll(async () => {
      bind = await startBind('example.test');
      config = {
        nameserver: parseNameserver(bind.address),
        key: tsigKey(bind.key.name, bind.key.algorithm, bind.key.secret),
        ttl: 60,
        timeoutMs: 5_000,
        zones: [],
      };
    });
    afterAll(async () => bind?.stop());

    it('finds the zone and its authoritative nameservers by walking up the tree', async () => {
      const ns = [parseNameserver(bind.address)];
      expect(await findZone('_acme-challenge.deep.app.example.test', ns)).toBe('example.test.');
      expect(await authoritativeNameservers('_acme-challenge.example.test', ns)).toEqual([
        'ns.example.test.',
      ]);
    });

    it('insert replaces the TXT set at the name, remove deletes one value; the signed answers verify', async () => {
      const name = '_acme-challenge.app.example.test.';
      await rfc2136Update(config, 'insert', name, 'first');
      expect(await bind.txt(name)).toEqual(['first']);
      await rfc2136Update(config, 'insert', name, 'second');
      expect(await bind.txt(name)).toEqual(['second']);
      await rfc2136Update({ ...config, zones: ['example.test'] }, 'remove', name, 'second');
      expect(await bind.txt(name)).toEqual([]);
    });

    it('a wrong secret or an unknown key is refused with the server answer', async () => {
      const bad = {
        ...config,
        key: tsigKey(bind.key.name, bind.key.algorithm, Buffer.alloc(32, 1).toString('base64')),
      };
      await expect(rfc2136Update(bad, 'insert', '_acme-challenge.x.example.test.', 'v')).rejects.toThrow(
        /DNS update failed: server 127\.0\.0\.1:\d+ .*NOTAUTH/,
      );
      const unknown = { ...config, key: tsigKey('other.', 'hmac-sha256', bind.key.secret) };
      await expect(rfc2136Update(unknown, 'insert', '_acme-challenge.x.example.test.', 'v')).rejects.toThrow(
        /NOTAUTH/,
      );
      const unsigned = { ...config, key: undefined } as Rfc2136Config;
      await expect(rfc2136Update(unsigned, 'insert', '_acme-challenge.x.example.test.', 'v')).rejects.toThrow(
        /REFUSED/,
      );
    });

    it('propagation: recursive and authoritative checks pass once the record is served, and say what was served before', async () => {
      const rules = propagationRules({ provider: 'rfc2136', resolvers: [bind.address] }, bind.port);
      expect(rules).toMatchObject({ requireAuthoritative: true, requireAllRecursive: true });
      const name = '_acme-challenge.prop.example.test.';
      await expect(checkOnce(rules, name, 'wanted')).rejects.toThrow(
        /NS 127\.0\.0\.1:\d+ returned NXDOMAIN for _acme-challenge\.prop\.example\.test\./,
      );
      await rfc2136Update(config, 'insert', name, 'stale');
      await expect(checkOnce(rules, name, 'wanted')).rejects.toThrow(
        /did not return the expected TXT record \[fqdn: _acme-challenge\.prop\.example\.test\., value: wanted\]: stale/,
      );
      await rfc2136Update(config, 'insert', name, 'wanted');
      await checkOnce(rules, name, 'wanted');
      // The authoritative check alone (the recursive one off) asks ns.example.test. on the given port.
      const ansOnly = propagationRules(
        {
          provider: 'rfc2136',
          resolvers: [bind.address],
          propagation: {
            disableChecks: false,
            disableANSChecks: false,
            requireAllRNS: false,
            delayBeforeChecks: 0,
          },
        },
        bind.port,
      );
      expect(ansOnly).toMatchObject({ requireAuthoritative: true, requireAllRecursive: false });
      await checkOnce(ansOnly, name, 'wanted');
    });
  },
);

describe('propagation rules (Traefik and lego)', () => {
  const base = { provider: 'rfc2136', resolvers: ['127.0.0.1:53'] };
  const p = (o: object) => ({
    disableChecks: false,
    disableANSChecks: false,
    requireAllRNS: false,
    delayBeforeChecks: 0,
    ...o,
  });
  it.each([
    [
      'no propagation block: both checks',
      base,
      { disableChecks: false, requireAuthoritative: true, requireAllRecursive: true, delayBeforeChecksMs: 0 },
    ],
    [
      'a block: authoritative only',
      { ...base, propagation: p({}) },
      { requireAuthoritative: true, requireAllRecursive: false },
    ],
    ['requireAllRNS', { ...base, propagation: p({ requireAllRNS: true }) }, { requireAllRecursive: true }],
    [
      'disableANSChecks',
      { ...base, propagation: p({ disableANSChecks: true }) },
      { requireAuthoritative: false },
    ],
    [
      'deprecated disablePropagationCheck',
      { ...base, disablePropagationCheck: true },
      { disableChecks: true, requireAllRecursive: false },
    ],
    [
      'deprecated delayBeforeCheck',
      { ...base, delayBeforeCheck: 5_000 },
      { delayBeforeChecksMs: 5_000, requireAllRecursive: false },
    ],
    [
      'delayBeforeCheck wins over the block',
      { ...base, delayBeforeCheck: 5_000, propagation: p({ delayBeforeChecks: 1_000 }) },
      { delayBeforeChecksMs: 5_000 },
    ],
  ])('%s', (_, dns, expected) => {
    expect(propagationRules(dns)).toMatchObject(expected);
  });
});
