import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { applyForwardedHeaders, type ForwardedHeadersPolicy } from './forwarded-headers.ts';

const trusted: ForwardedHeadersPolicy = { trusted: () => true };
const untrusted: ForwardedHeadersPolicy = { trusted: () => false };

function apply(
  headers: IncomingHttpHeaders,
  policy: ForwardedHeadersPolicy,
  scheme: 'http' | 'https' = 'http',
  clientIp = '192.0.2.7',
): IncomingHttpHeaders {
  const req = { headers: { ...headers } } as IncomingMessage;
  applyForwardedHeaders(req, clientIp, scheme, 8000, policy);
  return req.headers;
}

const spoofed: IncomingHttpHeaders = {
  host: 'app.test',
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.test',
  'x-forwarded-port': '1234',
  'x-forwarded-server': 'evil',
  'x-forwarded-uri': '/admin',
  'x-real-ip': '6.6.6.6',
  x_forwarded_for: '6.6.6.6',
  // mixed spellings: Traefik's isManagedXHeader reads every '_' as '-'
  'x-forwarded_for': '6.6.6.6',
  x_real_ip: '6.6.6.6',
  'x_forwarded-tls-client-cert': 'forged',
};

describe('applyForwardedHeaders', () => {
  it('replaces everything an untrusted peer sent', () => {
    expect(apply(spoofed, untrusted)).toEqual({
      host: 'app.test',
      'x-real-ip': '192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      'x-forwarded-host': 'app.test',
    });
  });

  it('keeps what a trusted peer sent and fills only the gaps', () => {
    expect(apply(spoofed, trusted)).toEqual(spoofed);
    expect(apply({ host: 'app.test:8443', 'x-forwarded-for': '6.6.6.6' }, trusted, 'https')).toEqual({
      host: 'app.test:8443',
      'x-forwarded-for': '6.6.6.6',
      'x-real-ip': '192.0.2.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '8443',
      'x-forwarded-host': 'app.test:8443',
    });
  });

  it('derives the port from Host, then from the scheme', () => {
    expect(apply({ host: '[::1]:9000' }, untrusted)['x-forwarded-port']).toBe('9000');
    expect(apply({ host: '[::1]' }, untrusted, 'https')['x-forwarded-port']).toBe('443');
    expect(apply({}, untrusted)['x-forwarded-host']).toBeUndefined();
  });

  it('marks WebSocket handshakes ws/wss and keeps the Upgrade', () => {
    const headers = apply(
      { host: 'a', connection: 'Upgrade', upgrade: 'websocket' },
      untrusted,
      'https',
      'fe80::1%eth0',
    );
    expect(headers).toMatchObject({
      'x-forwarded-proto': 'wss',
      'x-real-ip': 'fe80::1',
      connection: 'upgrade',
      upgrade: 'websocket',
    });
  });

  it('applies Connection options but never to the X-Forwarded headers, and keeps allowed ones', () => {
    const headers = apply(
      { host: 'a', connection: 'close, X-Drop, X-Keep, X-Forwarded-Host', 'x-drop': '1', 'x-keep': '1' },
      { trusted: () => false, connection: ['x-keep'] },
    );
    expect(headers['x-drop']).toBeUndefined();
    expect(headers['x-keep']).toBe('1');
    expect(headers.connection).toBe('x-keep');
    expect(headers['x-forwarded-host']).toBe('a');
  });

  it('never lets a Connection option remove Host or the framing headers', () => {
    const headers = apply(
      {
        host: 'secret.test',
        connection: 'close, host, content-length, transfer-encoding',
        'content-length': '5',
        'transfer-encoding': 'chunked',
      },
      untrusted,
    );
    expect(headers.host).toBe('secret.test');
    expect(headers['content-length']).toBe('5');
    expect(headers['transfer-encoding']).toBe('chunked');
  });

  it('sets X-Forwarded-Server when the policy names one', () => {
    expect(apply({ host: 'a' }, { trusted: () => true, serverName: 'edge-1' })['x-forwarded-server']).toBe(
      'edge-1',
    );
  });
});
