import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout rule of docs/architecture.md: imports run downward only.
//   config/ <- core/ <- providers/, middleware/ <- router/, registrar/ <- cli/
// A folder may import itself and any folder of a lower layer; folders of one layer do not import each other.
const LAYERS: Record<string, number> = {
  config: 0,
  core: 1,
  providers: 2,
  middleware: 2,
  router: 3,
  registrar: 3,
  cli: 4,
};

const ROOT = join(import.meta.dirname, '..');

function sources(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const rel = `${folder}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    specs.push(m[1]!);
  }
  return specs;
}

/** Every import of `file` (a repository path) that runs against the layer order, as `file -> target`. */
function layoutViolations(file: string, text: string): string[] {
  const from = file.split('/')[0]!;
  const bad: string[] = [];
  for (const spec of importsOf(text)) {
    const target = relative(ROOT, normalize(join(ROOT, dirname(file), spec))).replaceAll('\\', '/');
    const to = target.split('/')[0]!;
    if (to === from) continue;
    const a = LAYERS[from];
    const b = LAYERS[to];
    if (a === undefined) continue;
    if (b === undefined || b >= a) bad.push(`${file} -> ${target}`);
  }
  return bad;
}

describe('layout: imports run downward (docs/architecture.md)', () => {
  it('finds an upward, a sideways and an outside import', () => {
    expect(layoutViolations('core/x.ts', "import { a } from '../router/y.ts';")).toEqual([
      'core/x.ts -> router/y.ts',
    ]);
    expect(layoutViolations('providers/p/x.ts', "import type { A } from '../../middleware/m.ts';")).toEqual([
      'providers/p/x.ts -> middleware/m.ts',
    ]);
    expect(layoutViolations('router/x.ts', "const t = await import('../test/helpers/w.ts');")).toEqual([
      'router/x.ts -> test/helpers/w.ts',
    ]);
    expect(layoutViolations('router/x.ts', "export { b } from '../registrar/plan.ts';")).toEqual([
      'router/x.ts -> registrar/plan.ts',
    ]);
    expect(
      layoutViolations('cli/x.ts', "import { a } from '../router/y.ts';\nimport { b } from './z.ts';"),
    ).toEqual([]);
  });

  it('holds for every source file', () => {
    const bad = Object.keys(LAYERS).flatMap((folder) =>
      sources(folder).flatMap((file) => layoutViolations(file, readFileSync(join(ROOT, file), 'utf8'))),
    );
    expect(bad).toEqual([]);
  });
});
