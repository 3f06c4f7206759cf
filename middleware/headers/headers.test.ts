import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HeadersSchema } from '../../config/dynamic.ts';
import {
  type FakeRequestOptions,
  fakeRequest,
  type MiddlewareRun,
  runMiddleware,
} from '../../test/helpers/middleware.ts';
import { headers } from './headers.ts';

type Options = import('zod').infer<typeof HeadersSchema>;

describe('headers', () => {
  const cases: Array<{
    name: string;
    options: Options;
    request?: FakeRequestOptions;
    backend?: OutgoingHttpHeaders;
    expected: MiddlewareRun;
  }> = [
    {
      name: 'custom request headers are set, and an empty value removes one',
      options: { customRequestHeaders: { 'X-Script-Name': 'test', 'X-Drop': '' } },
      request: { headers: { 'x-drop': 'secret', 'x-script-name': 'client' } },
      expected: {
        next: { url: '/', headers: { 'x-script-name': 'test' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: "custom response headers override the backend's, and an empty value removes one",
      options: { customResponseHeaders: { 'X-Custom': 'v', Server: '' } },
      backend: { server: 'backend/1.0', 'x-custom': 'backend', 'x-other': 'kept' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-custom': 'v', 'x-other': 'kept' } },
      },
    },
    {
      name: 'security headers',
      options: {
        frameDeny: true,
        contentTypeNosniff: true,
        browserXssFilter: true,
        contentSecurityPolicy: "default-src 'self'",
        referrerPolicy: 'no-referrer',
        permissionsPolicy: 'camera=()',
      },
      expected: {
        next: { url: '/', headers: {} },
        response: {
          status: 200,
          headers: {
            'x-frame-options': 'DENY',
            'x-content-type-options': 'nosniff',
            'x-xss-protection': '1; mode=block',
            'content-security-policy': "default-src 'self'",
            'referrer-policy': 'no-referrer',
            'permissions-policy': 'camera=()',
          },
        },
      },
    },
    {
      name: 'customFrameOptionsValue wins over frameDeny',
      options: { frameDeny: true, customFrameOptionsValue: 'SAMEORIGIN' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-frame-options': 'SAMEORIGIN' } },
      },
    },
    {
      name: 'HSTS is sent over HTTPS, with includeSubDomains and preload',
      options: { stsSeconds: 31536000, stsIncludeSubdomains: true, stsPreload: true },
      request: { scheme: 'https' },
      expected: {
        next: { url: '/', headers: {} },
        response: {
          status: 200,
          headers: { 'strict-transport-security': 'max-age=31536000; includeSubDomains; preload' },
        },
      },
    },
    {
      name: 'HSTS is not sent over plain HTTP',
      options: { stsSeconds: 60 },
      expected: { next: { url: '/', headers: {} }, response: { status: 200, headers: {} } },
    },
    {
      name: 'forceSTSHeader sends HSTS over plain HTTP too',
      options: { stsSeconds: 60, forceSTSHeader: true },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'strict-transport-security': 'max-age=60' } },
      },
    },
    {
      name: 'stsSeconds 0 sends no HSTS',
      options: { stsSeconds: 0, forceSTSHeader: true },
      expected: { next: { url: '/', headers: {} }, response: { status: 200, headers: {} } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(headers(c.options), fakeRequest('/', c.request), c.backend);
      expect(run).toEqual(c.expected);
    });
  }
});
