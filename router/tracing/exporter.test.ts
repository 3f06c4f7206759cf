import { describe, expect, it } from 'vitest';
import { TracingSchema } from '../../config/static/tracing.ts';
import { exportTarget, tracingProblems } from './exporter.ts';

describe('exportTarget: Traefik tracing.otlp (grpc wins over http; http is the default)', () => {
  const parse = (otlp: unknown) => TracingSchema.parse({ otlp }).otlp;
  it.each([
    [undefined, { kind: 'http', url: 'https://localhost:4318/v1/traces' }],
    [{ http: {} }, { kind: 'http', url: 'https://localhost:4318/v1/traces' }],
    [{ http: { endpoint: 'http://c:4318' } }, { kind: 'http', url: 'http://c:4318/v1/traces' }],
    // A path, even "/", is used as written (Go's otlptracehttp WithURLPath).
    [{ http: { endpoint: 'http://c:4318/' } }, { kind: 'http', url: 'http://c:4318/' }],
    [{ http: { endpoint: 'https://c/otlp/v1/traces' } }, { kind: 'http', url: 'https://c/otlp/v1/traces' }],
    [{ grpc: {} }, { kind: 'grpc', address: 'localhost:4317', secure: true }],
    [
      { http: {}, grpc: { endpoint: 'c:4317', insecure: true } },
      { kind: 'grpc', address: 'c:4317', secure: false },
    ],
    [{ grpc: { endpoint: '[::1]:4317' } }, { kind: 'grpc', address: '[::1]:4317', secure: true }],
  ])('%j', (otlp, expected) => {
    expect(exportTarget(parse(otlp))).toEqual(expected);
  });

  it.each([
    [{ http: { endpoint: 'collector:4318' } }, 'tracing.otlp.http.endpoint', /not an http\(s\) URL/],
    [{ grpc: { endpoint: 'http://c:4317' } }, 'tracing.otlp.grpc.endpoint', /not host:port/],
  ])('refuses %j', (otlp, option, problem) => {
    const [p] = tracingProblems(TracingSchema.parse({ otlp }));
    expect(p?.option).toBe(option);
    expect(p?.problem).toMatch(problem);
  });

  it('checks the TLS files of the transport in use', () => {
    const config = TracingSchema.parse({ otlp: { http: { tls: { ca: '/nonexistent/ca.pem' } } } });
    expect(tracingProblems(config)).toEqual([
      {
        option: 'tracing.otlp.http.tls',
        problem: expect.stringMatching(/^tls\.ca "\/nonexistent\/ca\.pem": no such file/),
      },
    ]);
    expect(tracingProblems(TracingSchema.parse({ otlp: { http: {} } }))).toEqual([]);
  });
});
