import { describe, expect, it } from 'vitest';
import { ApiSchema } from '../../config/static/api.ts';
import { apiStartNotice } from './api-notice.ts';

describe('apiStartNotice', () => {
  it.each<[string, unknown, string | undefined]>([
    ['no api section', undefined, undefined],
    ['insecure', { insecure: true }, undefined],
    ['api: {}', {}, 'rule PathPrefix(`/api`) || PathPrefix(`/dashboard`) behind'],
    [
      'a basePath',
      { basePath: '/traefik' },
      'PathPrefix(`/traefik/api`) || PathPrefix(`/traefik/dashboard`)',
    ],
    ['no dashboard', { dashboard: false }, 'rule PathPrefix(`/api`) behind'],
  ])('%s', (_name, api, expected) => {
    const notice = apiStartNotice({ api: api === undefined ? undefined : ApiSchema.parse(api) });
    if (expected === undefined) expect(notice).toBeUndefined();
    else expect(notice).toContain(expected);
  });
});
