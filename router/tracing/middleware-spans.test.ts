import { ServerResponse } from 'node:http';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { MiddlewareKind } from '../../config/dynamic.ts';
import { TracingSchema } from '../../config/static/tracing.ts';
import { silentLogger } from '../../core/log.ts';
import type { Handler, Middleware } from '../../middleware/middleware.ts';
import { requestState } from '../../middleware/request-state.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import { MIDDLEWARE_SPAN_NAMES, tracedMiddleware } from './middleware-spans.ts';
import { Tracing } from './tracing.ts';

const pass: Middleware = (next) => (req, res) => next(req, res);
const ok: Handler = async (_req, res) => {
  res.statusCode = 200;
};

describe('tracedMiddleware: span names and when a span is made', () => {
  it.each<[MiddlewareKind, string | null]>([
    ['stripPrefix', 'StripPrefix'],
    ['redirectScheme', 'Redirect'],
    ['redirectRegex', 'Redirect'],
    ['digestAuth', 'digestAuth'],
    ['errors', 'CustomError'],
    ['buffering', 'Buffer'],
    ['ipAllowList', 'IPAllowLister'],
    ['chain', null],
    ['contentType', null],
  ])('%s → %s (Traefik type name; null: no span)', (kind, name) => {
    expect(MIDDLEWARE_SPAN_NAMES[kind]).toBe(name);
    if (name === null) expect(tracedMiddleware(kind, 'm@file', pass)).toBe(pass);
  });

  async function run(kind: MiddlewareKind, verbosity: 'minimal' | 'detailed', sampleRate: number) {
    const exporter = new InMemorySpanExporter();
    const tracing = new Tracing(TracingSchema.parse({ sampleRate }), silentLogger(), exporter);
    const req = fakeRequest('/x');
    const res = new ServerResponse(req);
    const trace = tracing.begin(req, res, requestState(req), {
      router: 'r@file',
      observability: { traceVerbosity: verbosity },
    });
    const handler = tracedMiddleware(kind, 'm@file', pass)(ok);
    await handler(req, res);
    trace?.end(res);
    await tracing.forceFlush();
    const names = exporter.getFinishedSpans().map((s) => s.name);
    await tracing.shutdown();
    return names;
  }

  it.each([
    ['detailed and sampled: one span, inside Router', 'detailed', 1, ['StripPrefix', 'Router', 'GET']],
    ['minimal: no middleware span', 'minimal', 1, ['GET']],
    ['unsampled: nothing recorded', 'detailed', 0, []],
  ] as const)('%s', async (_name, verbosity, rate, expected) => {
    expect(await run('stripPrefix', verbosity, rate)).toEqual(expected);
  });

  it('a kind without a listed name is named after itself, capitalized', async () => {
    expect(await run('newKind' as MiddlewareKind, 'detailed', 1)).toEqual(['NewKind', 'Router', 'GET']);
  });
});
