import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/backends.ts';
import { type RawH2Server, startRawH2Server } from '../helpers/h2-raw-server.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// forwardingTimeouts.readIdleTimeout and pingTimeout (Go's HTTP/2 health check, as Traefik configures
// it): after readIdleTimeout without a frame from the server Wharf PINGs it; a PING not answered within
// pingTimeout closes the connection and the next request opens a new one. Node's http2 server answers
// PINGs by itself, so the server here is the hand-made one of test/helpers/h2-raw-server.ts.

let raw: RawH2Server;
let w: TestWharf;

beforeAll(async () => {
  raw = await startRawH2Server();
  w = await startWharf({
    http: {
      routers: { h2: { rule: 'Host(`h2.test`)', service: 'h2' } },
      services: { h2: { loadBalancer: { servers: [{ url: raw.url }], serversTransport: 'pings' } } },
      serversTransports: {
        // pingTimeout leaves a loaded machine time to answer; the test waits it out once.
        pings: { forwardingTimeouts: { readIdleTimeout: '50ms', pingTimeout: '1s' } },
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  await raw?.close();
});

describe('HTTP/2 health-check PINGs to servers', () => {
  it('PINGs a silent connection, keeps it while answered, closes it when not, then reconnects', async () => {
    const first = await get(w.web, '/', 'h2.test');
    expect(first.status).toBe(200);
    expect(first.headers['x-connection']).toBe('1');
    expect(raw.protocols).toEqual(['h2']);

    // Silence after the answer: PINGs, each one answered, so the connection stays.
    await until(() => raw.pings(1) >= 2, 'two PINGs on the silent connection', 10_000);
    expect(raw.closed).toBe(0);
    const again = await get(w.web, '/', 'h2.test');
    expect(again.headers['x-connection']).toBe('1');
    expect(raw.connections).toBe(1);

    // The server stops answering: the unanswered PING closes the connection.
    raw.answerPings = false;
    const before = raw.pings(1);
    await until(() => raw.pings(1) > before, 'a PING the server leaves unanswered', 10_000);
    await until(() => raw.closed === 1, 'Wharf closing the connection whose PING went unanswered', 10_000);
    expect(raw.pings(1)).toBe(before + 1); // one PING at a time: none is sent while one is outstanding

    raw.answerPings = true;
    const after = await get(w.web, '/', 'h2.test');
    expect(after.status).toBe(200);
    expect(after.headers['x-connection']).toBe('2');
    expect(raw.connections).toBe(2);
    expect(raw.protocols).toEqual(['h2', 'h2']);
  });
});
