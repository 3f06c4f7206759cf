import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What `docker build` sends as the build context of compose/Dockerfile: the repository's files that the
 * root .dockerignore lets through. Docker's rules, as the CLI and docker-compose apply them: each line is a
 * pattern (`*`, `?`, `**`, a trailing `/` ignored) that matches a path or any of its parent folders; `!`
 * lets a path back in; the last matching line wins.
 */
export function dockerignoreFilter(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    let included = true;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.re.test(parts.slice(0, i).join('/'))) {
          included = rule.negate;
          break;
        }
      }
    }
    return included;
  };
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more folders; a final `**` matches everything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files (relative paths, sorted) of the build context at `root`, filtered by its .dockerignore.
 * Folders that are left out and that no `!` line reaches into are not walked (node_modules, .git).
 */
export function buildContextFiles(root: string): string[] {
  const ignoreText = readFileSync(join(root, '.dockerignore'), 'utf8');
  const keep = dockerignoreFilter(ignoreText);
  const reopened = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/^\/+/, ''));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = relative(root, join(dir, entry.name));
      if (entry.isDirectory()) {
        if (!keep(path) && !reopened.some((r) => r.startsWith(`${path}/`))) continue;
        walk(join(dir, entry.name));
      } else if ((entry.isFile() || entry.isSymbolicLink()) && keep(path)) files.push(path);
    }
  };
  walk(root);
  return files.sort();
}

/**
 * The production dependencies as `npm ci --omit=dev` installs them: every package of package-lock.json
 * not marked dev, as files (relative paths, sorted) under the installed node_modules, without the nested
 * node_modules of a package (nested production packages are listed on their own).
 */
export function productionDependencyFiles(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  const files: string[] = [];
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || meta.dev) continue;
    const dir = join(root, path);
    try {
      statSync(dir);
    } catch (err) {
      // An optional package for another platform is not installed; anything else must be.
      if (meta.optional) continue;
      throw new Error(
        `production dependency ${path} is not installed (run npm ci): ${(err as Error).message}`,
      );
    }
    const walk = (at: string) => {
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        const full = join(at, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules') walk(full);
        } else files.push(relative(root, full));
      }
    };
    walk(dir);
  }
  return files.sort();
}
