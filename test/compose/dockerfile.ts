import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** One instruction of a Dockerfile stage: `COPY`, `RUN`, ... and its arguments (continuations joined). */
export interface Instruction {
  op: string;
  args: string;
}

/** One build stage: its name (`FROM … AS name`), base image and instructions after FROM. */
export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile (comments dropped, `\` continuations joined, ARGs before FROM ignored). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continuation
    if (line.endsWith('\\')) current += `${line.slice(0, -1).trim()} `;
    else {
      logical.push((current + line).trim());
      current = '';
    }
  }
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
    const op = (m[1] as string).toUpperCase();
    const args = m[2] as string;
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`cannot read FROM ${args}`);
      stages.push({ name: f[2] ?? String(stages.length), from: f[1] as string, instructions: [] });
    } else if (stages.length > 0) (stages.at(-1) as Stage).instructions.push({ op, args });
  }
  return stages;
}

/** The stage named `name` and every stage it is built FROM (base first): what `--target name` builds. */
export function stageChain(stages: Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  let at = stages.find((s) => s.name === name);
  while (at) {
    chain.unshift(at);
    const from = at.from;
    at = stages.find((s) => s.name === from);
  }
  return chain;
}

/** The effective value of a single-valued instruction (ENTRYPOINT, USER, ...) for `--target name`. */
export function effective(stages: Stage[], name: string, op: string): string | undefined {
  let value: string | undefined;
  for (const s of stageChain(stages, name)) for (const i of s.instructions) if (i.op === op) value = i.args;
  return value;
}

/** `HEALTHCHECK [--opt=v …] CMD ["…"]` → its options and the command array. */
export function parseHealthcheck(args: string): { options: Record<string, string>; cmd: string[] } {
  const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
  if (!m) throw new Error(`HEALTHCHECK not in exec form: ${args}`);
  const options = Object.fromEntries(
    [...(m[1] as string).matchAll(/--([a-z-]+)=(\S+)/g)].map((o) => [o[1] as string, o[2] as string]),
  );
  return { options, cmd: JSON.parse(m[2] as string) as string[] };
}

/**
 * Every repository file a program loads, following static and dynamic relative imports from `entry`
 * (repository-relative paths), and the bare package names it imports at run time (`import type` is
 * erased, node: built-ins are left out).
 */
export function importClosure(root: string, entries: string[]): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const m of source.matchAll(
      /(?:^|\s)(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = relative(root, join(dirname(join(root, file)), spec));
        if (!existsSync(join(root, target))) throw new Error(`${file} imports ${spec}, which does not exist`);
        queue.push(target);
      } else
        packages.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string),
        );
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}
