// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are compose interpolation syntax under test
import { describe, expect, it } from 'vitest';
import { interpolate, interpolateTree, parseEnvFile } from './compose-interpolation.ts';

// The compose specification's interpolation rules (12-interpolation.md), one row each.
const VARS: Record<string, string> = { SET: 'value', EMPTY: '', DOMAIN: 'example.com', FALLBACK: 'fallback' };
const lookup = (name: string) => VARS[name];

describe('interpolate', () => {
  const cases: Array<{ text: string; value: string; unresolved?: string[]; error?: string }> = [
    { text: 'plain', value: 'plain' },
    { text: '$SET', value: 'value' },
    { text: '${SET}', value: 'value' },
    { text: 'Host(`${DOMAIN}`)', value: 'Host(`example.com`)' },
    { text: 'a-$SET-b', value: 'a-value-b' },
    { text: '$SET_x', value: '', unresolved: ['SET_x'] },
    { text: '${SET}_x', value: 'value_x' },
    { text: '$UNSET', value: '', unresolved: ['UNSET'] },
    { text: '${UNSET}', value: '', unresolved: ['UNSET'] },
    { text: '${EMPTY}', value: '' },
    // defaults
    { text: '${UNSET:-default}', value: 'default' },
    { text: '${EMPTY:-default}', value: 'default' },
    { text: '${SET:-default}', value: 'value' },
    { text: '${UNSET-default}', value: 'default' },
    { text: '${EMPTY-default}', value: '' },
    { text: '${UNSET:-}', value: '' },
    // required
    { text: '${SET:?need it}', value: 'value' },
    { text: '${EMPTY?need it}', value: '' },
    { text: '${UNSET:?need it}', value: '', error: 'required variable UNSET is missing a value: need it' },
    { text: '${EMPTY:?need it}', value: '', error: 'required variable EMPTY is missing a value: need it' },
    { text: '${UNSET?}', value: '', error: 'required variable UNSET is missing a value' },
    // alternatives
    { text: '${SET:+alt}', value: 'alt' },
    { text: '${EMPTY:+alt}', value: '' },
    { text: '${EMPTY+alt}', value: 'alt' },
    { text: '${UNSET+alt}', value: '' },
    // nesting, evaluated only when used
    { text: '${UNSET:-${FALLBACK}}', value: 'fallback' },
    { text: '${UNSET:-${ALSO_UNSET:-deep}}', value: 'deep' },
    { text: '${UNSET?$SET}', value: '', error: 'missing a value: value' },
    { text: '${SET:-${NEVER_READ}}', value: 'value' },
    { text: '${UNSET:-${NOPE}}', value: '', unresolved: ['NOPE'] },
    // dollars that are not variables
    { text: '$$', value: '$' },
    { text: '$$SET', value: '$SET' },
    { text: '$${SET}', value: '${SET}' },
    { text: 'cost: 5$', value: 'cost: 5$' },
    { text: '$1', value: '$1' },
    { text: '$ x', value: '$ x' },
    // errors
    { text: '${SET', value: '${SET', error: 'without its "}"' },
    { text: '${}', value: '', error: 'does not start with a variable name' },
    { text: '${1X}', value: '', error: 'does not start with a variable name' },
    { text: '${SET/a/b}', value: '', error: 'compose supports :-, -, :?, ?, :+ and + only' },
  ];
  it.each(cases)('$text', ({ text, value, unresolved = [], error }) => {
    const r = interpolate(text, lookup);
    expect(r.value).toBe(value);
    expect(r.unresolved).toEqual(unresolved);
    if (error === undefined) expect(r.errors).toEqual([]);
    else expect(r.errors.join('\n')).toContain(error);
  });
});

describe('interpolateTree', () => {
  it('interpolates values, never keys, and names each unresolved variable once', () => {
    const doc = {
      services: {
        web: {
          labels: ['wharf.http.routers.web.rule=Host(`${DOMAIN}`)', 'wharf.port=${PORT}'],
          ports: ['${PORT:-8080}:80', 80],
          $KEY: '${PORT}',
        },
      },
    };
    const r = interpolateTree(doc, lookup);
    expect(r.tree).toEqual({
      services: {
        web: {
          labels: ['wharf.http.routers.web.rule=Host(`example.com`)', 'wharf.port='],
          ports: ['8080:80', 80],
          $KEY: '',
        },
      },
    });
    expect(r.unresolved).toEqual(['PORT']);
  });

  it('errors name their place', () => {
    const r = interpolateTree({ services: { web: { labels: ['a=${X:?set X}'] } } }, lookup);
    expect(r.errors).toEqual(['services.web.labels[0]: required variable X is missing a value: set X']);
  });
});

describe('parseEnvFile', () => {
  const cases: Array<{ text: string; vars: Record<string, string>; errors?: number }> = [
    { text: 'A=1\nB=two words', vars: { A: '1', B: 'two words' } },
    { text: '# comment\n\nexport A=1', vars: { A: '1' } },
    { text: 'A=1 # comment', vars: { A: '1' } },
    { text: 'A=a#b', vars: { A: 'a#b' } },
    { text: "A='$LITERAL # kept'", vars: { A: '$LITERAL # kept' } },
    { text: 'A="line\\nbreak \\$HOME"', vars: { A: 'line\nbreak $HOME' } },
    { text: 'A=x\nB=${A}-y\nC="$A$A"', vars: { A: 'x', B: 'x-y', C: 'xx' } },
    { text: 'B=${SET:-no}', vars: { B: 'value' } },
    { text: 'A=\nB=""', vars: { A: '', B: '' } },
    { text: 'ONLY_NAME\nA=1', vars: { A: '1' } },
    { text: 'BAD KEY=1', vars: {}, errors: 1 },
  ];
  it.each(cases)('$text', ({ text, vars, errors = 0 }) => {
    const r = parseEnvFile(text, lookup);
    expect(Object.fromEntries(r.vars)).toEqual(vars);
    expect(r.errors).toHaveLength(errors);
  });
});
