import { type FSWatcher, watch as fsWatch, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../../core/log.ts';
import type { Clock, ClockTimer } from '../clock.ts';
import { buildUsers, type UserParser } from './users.ts';

// Editors save by writing a new file and renaming it over the old one, and Kubernetes swaps a `..data`
// symlink in a secret's folder: both end a watch on the file itself, so the folder is watched and events
// are settled for this long before the file is read again.
const SETTLE_MS = 30;

/** Where the users of an auth middleware come from. */
export interface UsersSource {
  /** Path of the htpasswd/htdigest file (relative to the working directory), if any. */
  readonly usersFile?: string | undefined;
  readonly users?: readonly string[] | undefined;
  readonly parse: UserParser;
  /** Names the middleware in log lines, e.g. `basicAuth auth@file`. */
  readonly label: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called with the new users after the file changed and was read without a problem. */
  readonly onChange: (users: Map<string, string>) => void;
}

/** The users an auth middleware checks against, kept current with its usersFile. */
export interface WatchedUsers {
  current(): Map<string, string>;
  /** Stops watching; a read in progress is discarded. */
  close(): void;
}

/**
 * Reads the users (file then inline, as Traefik merges them) and, with a usersFile, watches it: a changed
 * file is read again and its users replace the old ones without a reload of anything else; a file that is
 * missing or has a bad line is logged as an error and the last good users stay. At creation a missing or
 * bad file throws, naming the file, so the middleware is reported invalid.
 */
export function watchUsers(source: UsersSource): WatchedUsers {
  const inline = source.users ?? [];
  const path = source.usersFile ? resolve(source.usersFile) : undefined;
  const load = (text: string | undefined) =>
    buildUsers(path && text !== undefined ? { path, text } : undefined, inline, source.parse);

  let text: string | undefined;
  if (path) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read usersFile ${path}: ${(err as Error).message}`);
    }
  }
  const first = load(text);
  if ('problem' in first) throw new Error(first.problem);
  let users = first;
  if (!path) return { current: () => users, close: () => {} };

  let closed = false;
  let timer: ClockTimer | undefined;
  const reread = async () => {
    let next: string;
    try {
      next = await readFile(path, 'utf8');
    } catch (err) {
      if (!closed)
        source.logger.error(
          { err, usersFile: path },
          `${source.label}: cannot read usersFile ${path}; the last good users stay in force`,
        );
      return;
    }
    if (closed || next === text) return;
    const loaded = load(next);
    if ('problem' in loaded) {
      source.logger.error(
        { usersFile: path },
        `${source.label}: ${loaded.problem}; the last good users stay in force`,
      );
      return;
    }
    text = next;
    users = loaded;
    source.logger.info({ usersFile: path, users: users.size }, `${source.label}: usersFile reloaded`);
    source.onChange(users);
  };
  const poke = () => {
    timer?.cancel();
    timer = source.clock.setTimeout(() => {
      reread().catch((err: unknown) =>
        source.logger.error({ err, usersFile: path }, `${source.label}: reloading usersFile failed`),
      );
    }, SETTLE_MS);
  };
  const name = basename(path);
  let watcher: FSWatcher | undefined;
  try {
    watcher = fsWatch(dirname(path), (_event, changed) => {
      const n = changed?.toString();
      if (n === undefined || n === name || n.startsWith('..')) poke();
    });
    watcher.on('error', (err) =>
      source.logger.error({ err, usersFile: path }, `${source.label}: watching usersFile failed`),
    );
  } catch (err) {
    source.logger.error(
      { err, usersFile: path },
      `${source.label}: cannot watch usersFile; changes need a restart to take effect`,
    );
  }
  return {
    current: () => users,
    close: () => {
      closed = true;
      timer?.cancel();
      watcher?.close();
    },
  };
}
