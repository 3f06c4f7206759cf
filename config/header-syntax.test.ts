import { describe, expect, it } from 'vitest';
import { headerNameProblem, headerValueProblem, headerWireValue } from './header-syntax.ts';
import { HeadersSchema } from './middlewares/headers.ts';
import { validateDynamic } from './validate-dynamic.ts';

describe('headerNameProblem', () => {
  it.each([
    { name: 'X-Api-Key', problem: undefined },
    { name: "x!#$%&'*+-.^_`|~09", problem: undefined },
    { name: '', problem: 'a header name cannot be empty' },
    { name: 'X Bad', problem: expect.stringContaining('cannot contain a space') },
    { name: 'X:Bad', problem: expect.stringContaining('the character U+003A') },
    { name: 'X-Ünï', problem: expect.stringContaining('the character U+00DC') },
    { name: 'X\r\nInjected', problem: expect.stringContaining('U+000D') },
  ])('$name', ({ name, problem }) => {
    expect(headerNameProblem(name)).toEqual(problem);
  });
});

describe('headerValueProblem', () => {
  it.each([
    { value: 'plain', problem: undefined },
    { value: 'tab\tand "quotes"', problem: undefined },
    { value: 'prix 5 €, café', problem: undefined },
    { value: 'line\r\nbreak', problem: undefined },
    { value: 'nul\u0000', problem: expect.stringContaining('control character U+0000') },
    { value: 'bell\u0007', problem: expect.stringContaining('U+0007') },
    { value: 'del\u007f', problem: expect.stringContaining('U+007F') },
    { value: 'secret\u0001', problem: expect.not.stringContaining('secret') },
  ])('$value', ({ value, problem }) => {
    expect(headerValueProblem(value)).toEqual(problem);
  });
});

describe('headerWireValue', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  it.each([
    { value: 'plain; a=b', wire: 'plain; a=b' },
    { value: '  spaces trimmed\t ', wire: 'spaces trimmed' },
    { value: '5 €', wire: utf8('5 €') },
    { value: 'café', wire: utf8('café') },
    { value: 'a\r\nb', wire: 'a  b' },
    { value: "default-src 'self';\nimg-src *\n", wire: "default-src 'self'; img-src *" },
    { value: '\n€\n', wire: utf8('€') },
  ])('$value', ({ value, wire }) => {
    expect(headerWireValue(value)).toBe(wire);
  });
});

describe('headers middleware options at load', () => {
  it('accepts UTF-8 and line breaks in values', () => {
    const parsed = HeadersSchema.safeParse({
      customResponseHeaders: { 'X-Price': '5 €', 'X-Multi': 'a\nb' },
      contentSecurityPolicy: "default-src 'self'\n",
    });
    expect(parsed.success).toBe(true);
  });

  it('leaves out a middleware whose header names or values cannot be sent, naming the key', () => {
    const { config, diagnostics } = validateDynamic(
      {
        http: {
          middlewares: {
            badName: { headers: { customRequestHeaders: { 'X Bad': 'v' } } },
            badValue: { headers: { customRequestHeaders: { Authorization: 'Bearer abc\u0001' } } },
            badPolicy: { headers: { referrerPolicy: 'no\u0000' } },
            good: { headers: { customResponseHeaders: { 'X-Price': '5 €' } } },
          },
        },
      },
      { source: 'file', subject: 'dyn.yml' },
    );
    expect(Object.keys(config.http?.middlewares ?? {})).toEqual(['good']);
    expect(diagnostics.map((d) => [d.code, d.severity, d.key, d.item])).toEqual([
      [
        'CONFIG_INVALID_VALUE',
        'error',
        'http.middlewares.badName.headers.customRequestHeaders.X Bad',
        { kind: 'middleware', name: 'badName' },
      ],
      [
        'CONFIG_INVALID_VALUE',
        'error',
        'http.middlewares.badValue.headers.customRequestHeaders.Authorization',
        { kind: 'middleware', name: 'badValue' },
      ],
      [
        'CONFIG_INVALID_VALUE',
        'error',
        'http.middlewares.badPolicy.headers.referrerPolicy',
        { kind: 'middleware', name: 'badPolicy' },
      ],
    ]);
    expect(diagnostics[0]?.message).toContain('cannot contain a space');
    expect(diagnostics[1]?.message).toContain('control character U+0001');
    expect(diagnostics[1]?.message).not.toContain('Bearer');
    expect(diagnostics[1]?.message).toContain('middleware "badValue" is left out');
  });
});
