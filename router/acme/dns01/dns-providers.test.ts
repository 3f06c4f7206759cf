import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { dnsProvider, envValue } from './dns-providers.ts';

// The providers' contracts with the outside as lego defines them: exec's arguments (default and RAW),
// httpreq's requests (default and RAW), lego's timing variables and `<NAME>_FILE`.

const dir = mkdtempSync(join(tmpdir(), 'wharf-dns-providers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
const challenge = {
  domain: 'example.test',
  token: '-tok',
  keyAuth: '-tok.thumb',
  fqdn: '_acme-challenge.example.test.',
  value: 'digest',
};

describe('DNS providers', () => {
  it('reads a variable, else the file named by <NAME>_FILE', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-file\n');
    expect(envValue({ A: 'direct', A_FILE: file }, 'A')).toBe('direct');
    expect(envValue({ A_FILE: file }, 'A')).toBe('from-file');
    expect(envValue({}, 'A')).toBeUndefined();
  });

  it.each([
    [
      'rfc2136',
      { RFC2136_NAMESERVER: 'ns1' },
      { propagationTimeoutMs: 60_000, pollingIntervalMs: 2_000, sequenceIntervalMs: 60_000 },
    ],
    [
      'exec',
      {
        EXEC_PATH: '/bin/true',
        EXEC_PROPAGATION_TIMEOUT: '5',
        EXEC_POLLING_INTERVAL: '1',
        EXEC_SEQUENCE_INTERVAL: '3',
      },
      { propagationTimeoutMs: 5_000, pollingIntervalMs: 1_000, sequenceIntervalMs: 3_000 },
    ],
    [
      'httpreq',
      { HTTPREQ_ENDPOINT: 'http://127.0.0.1:1' },
      { propagationTimeoutMs: 60_000, pollingIntervalMs: 2_000, parallel: true },
    ],
  ])('%s: lego timings', (name, env, timing) => {
    const { parallel, ...rest } = timing as typeof timing & { parallel?: boolean };
    const p = dnsProvider(name, env, logger);
    expect(p).toMatchObject(rest);
    // httpreq is not sequential in lego: no sequence interval.
    expect(p.sequenceIntervalMs === undefined).toBe(parallel === true);
  });

  it.each([
    [{}, ['present', '_acme-challenge.example.test.', 'digest']],
    [{ EXEC_MODE: 'RAW' }, ['present', '--', 'example.test', '-tok', '-tok.thumb']],
  ])('exec %j: the program gets lego arguments; a failure carries its output', async (mode, args) => {
    const out = join(dir, `args-${Object.keys(mode).length}`);
    const script = join(dir, `prog-${Object.keys(mode).length}.sh`);
    writeFileSync(
      script,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${out}\n[ "$1" = cleanup ] && { echo cannot clean >&2; exit 3; }\nexit 0\n`,
    );
    chmodSync(script, 0o755);
    const p = dnsProvider('exec', { EXEC_PATH: script, ...mode }, logger);
    await p.present(challenge);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(args);
    await expect(p.cleanup(challenge)).rejects.toThrow(/exec: wait command: exit status 3: cannot clean/);
  });

  it.each([
    [{}, { fqdn: '_acme-challenge.example.test.', value: 'digest' }],
    [{ HTTPREQ_MODE: 'RAW' }, { domain: 'example.test', token: '-tok', keyAuth: '-tok.thumb' }],
  ])(
    'httpreq %j: POST <endpoint path>/present with lego JSON; a non-2xx answer fails',
    async (mode, body) => {
      const seen: Array<{ url?: string; auth?: string; body: unknown }> = [];
      const server = createServer((req, res) => {
        let text = '';
        req.on('data', (c: Buffer) => (text += c));
        req.on('end', () => {
          seen.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(text) });
          res.writeHead(req.url?.endsWith('/cleanup') ? 503 : 200).end('busy');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns/`;
        const p = dnsProvider(
          'httpreq',
          { HTTPREQ_ENDPOINT: endpoint, HTTPREQ_USERNAME: 'u', ...mode },
          logger,
        );
        await p.present(challenge);
        await expect(p.cleanup(challenge)).rejects.toThrow(
          /httpreq: POST http:\/\/127\.0\.0\.1:\d+\/dns\/cleanup: unexpected status 503: busy/,
        );
        // Basic auth only with both username and password (lego).
        expect(seen).toEqual([
          { url: '/dns/present', auth: undefined, body },
          { url: '/dns/cleanup', auth: undefined, body },
        ]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );

  it('other lego providers are not supported, by name', () => {
    expect(() => dnsProvider('route53', {}, logger)).toThrow(
      /DNS provider "route53" is not supported by Wharf/,
    );
  });
});
