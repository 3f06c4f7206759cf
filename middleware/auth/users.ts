// Users of the basicAuth and digestAuth middlewares, as Traefik reads them (pkg/middlewares/auth/auth.go):
// the lines of usersFile first, then the inline `users`, into one map where a later entry replaces an
// earlier one of the same key, so an inline user wins over the file's. Problems name the entry by file and
// line or by list index, never by its text: an entry holds a password hash.

/** How one entry splits: the key it is looked up by and its secret, or why it cannot be read. */
export type UserParser = (entry: string) => { key: string; secret: string } | { problem: string };

/** One htpasswd entry `name:hash`: exactly one colon, as Traefik requires. */
export const basicUser: UserParser = (entry) => {
  const parts = entry.split(':');
  if (parts.length !== 2) return { problem: 'expected name:hash (htpasswd format, one colon)' };
  return { key: parts[0] as string, secret: parts[1] as string };
};

/** One htdigest entry `name:realm:HA1`, keyed `name:realm`: exactly two colons, as Traefik requires. */
export const digestUser: UserParser = (entry) => {
  const parts = entry.split(':');
  if (parts.length !== 3) return { problem: 'expected name:realm:HA1 (htdigest format, two colons)' };
  return { key: `${parts[0]}:${parts[1]}`, secret: parts[2] as string };
};

/** The entries of a users file with their line numbers: lines trimmed, blank lines and `#` comments left out. */
export function usersFileLines(text: string): Array<{ line: number; entry: string }> {
  const out: Array<{ line: number; entry: string }> = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const entry = raw.trim();
    if (entry !== '' && !entry.startsWith('#')) out.push({ line: i + 1, entry });
  }
  return out;
}

/** The users map, or the first problem (naming `file:line` or `users[i]`). */
export function buildUsers(
  file: { path: string; text: string } | undefined,
  inline: readonly string[],
  parse: UserParser,
): Map<string, string> | { problem: string } {
  const users = new Map<string, string>();
  const entries = [
    ...(file
      ? usersFileLines(file.text).map((e) => ({ where: `${file.path}:${e.line}`, entry: e.entry }))
      : []),
    ...inline.map((entry, i) => ({ where: `users[${i}]`, entry })),
  ];
  for (const { where, entry } of entries) {
    const user = parse(entry);
    if ('problem' in user) return { problem: `${where}: ${user.problem}` };
    users.set(user.key, user.secret);
  }
  return users;
}
