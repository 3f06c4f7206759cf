import { describe, expect, it } from 'vitest';
import { DOCUMENT_VERSION } from '../../core/registrar-document.ts';
import { decodeRegistrarDocuments } from './registrar-documents.ts';

// The codes of the diagnostics a registrar recorded are passed on when the catalog has them; any other
// text (a newer registrar's code, or a name of Object's prototype) becomes REGISTRAR_DOCUMENT_INVALID.
describe('decodeRegistrarDocuments: the codes of passed-on diagnostics', () => {
  const documentWith = (code: string) => ({
    modifyIndex: 1,
    key: 'wharf/registrar/h1/containers/c1',
    value: JSON.stringify({
      version: DOCUMENT_VERSION,
      host: 'h1',
      container: { id: 'c1', name: 'app' },
      labels: {},
      diagnostics: [{ code, severity: 'warning', message: 'from the registrar' }],
    }),
  });
  it.each([
    ['a catalog code is kept', 'CONFIG_UNKNOWN_KEY', 'CONFIG_UNKNOWN_KEY'],
    ['an unknown code', 'SOME_FUTURE_CODE', 'REGISTRAR_DOCUMENT_INVALID'],
    ['a name of Object.prototype: constructor', 'constructor', 'REGISTRAR_DOCUMENT_INVALID'],
    ['a name of Object.prototype: toString', 'toString', 'REGISTRAR_DOCUMENT_INVALID'],
    ['__proto__', '__proto__', 'REGISTRAR_DOCUMENT_INVALID'],
  ])('%s', (_name, code, want) => {
    const { diagnostics } = decodeRegistrarDocuments([documentWith(code)], 'wharf', 'consul');
    expect(diagnostics.map((d) => [d.code, d.message, d.subject])).toEqual([
      [want, 'from the registrar', 'h1/app'],
    ]);
  });
});
