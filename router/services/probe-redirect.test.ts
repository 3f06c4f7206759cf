import { describe, expect, it } from 'vitest';
import { probeRedirect } from './probe-redirect.ts';

const from = new URL('http://127.0.0.1:8080/health?x=1');

describe('probeRedirect', () => {
  it.each([
    { status: 200, location: '/x', method: 'GET', out: undefined, why: 'not a redirect' },
    { status: 304, location: '/x', method: 'GET', out: undefined, why: '304 is no redirect' },
    { status: 302, location: undefined, method: 'GET', out: undefined, why: 'no Location: the final answer' },
    { status: 302, location: '', method: 'GET', out: undefined, why: 'an empty Location' },
    {
      status: 302,
      location: '/ok',
      method: 'GET',
      out: ['http://127.0.0.1:8080/ok', 'GET', false],
      why: 'relative path',
    },
    {
      status: 301,
      location: 'ok',
      method: 'HEAD',
      out: ['http://127.0.0.1:8080/ok', 'HEAD', false],
      why: 'relative to the folder',
    },
    {
      status: 302,
      location: 'http://other:9/p',
      method: 'GET',
      out: ['http://other:9/p', 'GET', true],
      why: 'absolute',
    },
    {
      status: 302,
      location: '//other/p',
      method: 'GET',
      out: ['http://other/p', 'GET', false],
      why: 'scheme-relative: no scheme, Host kept as Go does',
    },
    {
      status: 303,
      location: '/ok',
      method: 'POST',
      out: ['http://127.0.0.1:8080/ok', 'GET', false],
      why: '303: GET',
    },
    {
      status: 303,
      location: '/ok',
      method: 'HEAD',
      out: ['http://127.0.0.1:8080/ok', 'HEAD', false],
      why: '303 keeps HEAD',
    },
    {
      status: 302,
      location: '/ok',
      method: 'POST',
      out: ['http://127.0.0.1:8080/ok', 'GET', false],
      why: '302 after POST: GET',
    },
    {
      status: 301,
      location: '/ok',
      method: 'PUT',
      out: ['http://127.0.0.1:8080/ok', 'GET', false],
      why: '301 after PUT: GET',
    },
    {
      status: 302,
      location: '/ok',
      method: 'HEAD',
      out: ['http://127.0.0.1:8080/ok', 'HEAD', false],
      why: '302 keeps HEAD',
    },
    {
      status: 307,
      location: '/ok',
      method: 'POST',
      out: ['http://127.0.0.1:8080/ok', 'POST', false],
      why: '307 keeps the method',
    },
    {
      status: 308,
      location: '/ok',
      method: 'POST',
      out: ['http://127.0.0.1:8080/ok', 'POST', false],
      why: '308 keeps the method',
    },
  ])('$status $location $method: $why', ({ status, location, method, out }) => {
    const r = probeRedirect(from, status, location, method);
    expect(r === undefined ? undefined : [r.url.toString(), r.method, r.absolute]).toEqual(out);
  });
});
