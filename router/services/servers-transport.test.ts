import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../config/diagnostics.ts';
import {
  namedTransports,
  resolveTransport,
  type Transports,
  transportSettings,
} from './servers-transport.ts';

describe('transportSettings', () => {
  const h2 = { http2: true, readIdleTimeoutMs: 0, pingTimeoutMs: 15_000 };
  it.each([
    {
      config: undefined,
      out: { connectTimeoutMs: 30_000, responseHeaderTimeoutMs: 0, idleTimeoutMs: 90_000, ...h2 },
    },
    {
      config: { forwardingTimeouts: {} },
      out: { connectTimeoutMs: 30_000, responseHeaderTimeoutMs: 0, idleTimeoutMs: 90_000, ...h2 },
    },
    {
      config: {
        forwardingTimeouts: {
          dialTimeout: 1000,
          responseHeaderTimeout: 2000,
          idleConnTimeout: 3000,
          readIdleTimeout: 4000,
          pingTimeout: 5000,
        },
      },
      out: {
        connectTimeoutMs: 1000,
        responseHeaderTimeoutMs: 2000,
        idleTimeoutMs: 3000,
        http2: true,
        readIdleTimeoutMs: 4000,
        pingTimeoutMs: 5000,
      },
    },
    {
      config: { forwardingTimeouts: { dialTimeout: 0, responseHeaderTimeout: -5, idleConnTimeout: 0 } },
      out: { connectTimeoutMs: 0, responseHeaderTimeoutMs: 0, idleTimeoutMs: 0, ...h2 },
    },
    {
      // maxIdleConnsPerHost 0 is Traefik's default (200): no setting; TLS keys go to `tls` as written.
      config: { maxIdleConnsPerHost: 0, disableHTTP2: true, serverName: 'b.test', insecureSkipVerify: true },
      out: {
        connectTimeoutMs: 30_000,
        responseHeaderTimeoutMs: 0,
        idleTimeoutMs: 90_000,
        http2: false,
        readIdleTimeoutMs: 0,
        pingTimeoutMs: 15_000,
        tls: { serverName: 'b.test', insecureSkipVerify: true },
      },
    },
    {
      config: { maxIdleConnsPerHost: -1, rootCAs: ['/ca.pem'] },
      out: {
        connectTimeoutMs: 30_000,
        responseHeaderTimeoutMs: 0,
        idleTimeoutMs: 90_000,
        ...h2,
        maxIdleConnsPerHost: -1,
        tls: { rootCAs: ['/ca.pem'] },
      },
    },
  ])('$config', ({ config, out }) => {
    expect(transportSettings(config)).toEqual(out);
  });
});

describe('resolveTransport', () => {
  const defaults = transportSettings({ forwardingTimeouts: { dialTimeout: 5000 } });
  const transports: Transports = {
    defaults,
    named: new Map([
      ['fast@file', { forwardingTimeouts: { responseHeaderTimeout: 100 } }],
      ['kv@consul', {}],
    ]),
    leftOut: new Map([['bad@file', 'dialTimeout "soon" is not a duration']]),
  };
  const fast = transportSettings({ forwardingTimeouts: { responseHeaderTimeout: 100 } });
  it.each([
    { ref: undefined, out: { ok: true, settings: defaults } },
    { ref: '', out: { ok: true, settings: defaults } },
    { ref: 'default@internal', out: { ok: true, settings: defaults } },
    { ref: 'fast', out: { ok: true, settings: fast } },
    { ref: 'fast@file', out: { ok: true, settings: fast } },
    { ref: 'kv@consul', out: { ok: true, settings: transportSettings(undefined) } },
    { ref: 'kv', out: { ok: false, target: 'kv@file' } },
    { ref: 'default', out: { ok: false, target: 'default@file' } },
    { ref: 'bad', out: { ok: false, target: 'bad@file', reason: 'dialTimeout "soon" is not a duration' } },
  ])('$ref from a file service', ({ ref, out }) => {
    expect(resolveTransport(ref, 'file', transports)).toEqual(out);
  });
});

describe('namedTransports', () => {
  it('collects the transports providers left out, with their first error', () => {
    const named = new Map([['ok@file', {}]]);
    const diag = (
      kind: 'serversTransport' | 'service',
      name: string,
      message: string,
      severity: 'error' | 'warning' = 'error',
    ): Diagnostic => ({
      source: 'file',
      subject: 'd.yml',
      code: 'CONFIG_INVALID_VALUE',
      message,
      severity,
      item: { kind, name },
    });
    const out = namedTransports(named, [
      diag('serversTransport', 'bad', 'first'),
      diag('serversTransport', 'bad', 'second'),
      diag('serversTransport', 'warned', 'only a warning', 'warning'),
      diag('service', 'svc', 'not a transport'),
    ]);
    expect(out).toEqual({ named, leftOut: new Map([['bad@file', 'first']]) });
    expect(namedTransports(undefined, []).named.size).toBe(0);
  });
});
