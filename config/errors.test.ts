import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, formatError } from './errors.ts';

const ROOT = join(import.meta.dirname, '..');
/** Folders that are not the programs: their references do not keep a code alive. */
const SKIP = new Set(['node_modules', 'test', 'bench', 'demo', 'compose', 'docs']);

/** Every production source file (no tests), read now: codes other branches add are checked too. */
function sources(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!(dir === ROOT && SKIP.has(e.name))) out.push(...sources(path));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the error catalog', () => {
  it('has no dead codes: every code is used by production code outside config/errors.ts', () => {
    const catalog = join('config', 'errors.ts');
    const files = sources().filter((f) => relative(ROOT, f) !== catalog);
    expect(files.some((f) => relative(ROOT, f).startsWith(`router${sep}`))).toBe(true);
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(ERRORS).filter((code) => !new RegExp(`\\b${code}\\b`).test(text));
    expect(unused).toEqual([]);
  });

  it('fills templates, leaving an optional hint or where empty and a missing parameter visible', () => {
    expect(formatError('ENTRYPOINT_LISTEN_FAILED', { entryPoint: 'web', address: ':80', problem: 'x' })).toBe(
      'entryPoint web: cannot listen on :80: x',
    );
    expect(formatError('CONFIG_UNKNOWN_KEY', { key: 'a' })).toBe('unknown key "a"');
    expect(formatError('FILE_PROVIDER_SOURCE')).toBe('providers.file: {problem}');
  });
});
