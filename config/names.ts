/** Splits `name@provider` into its parts; an unqualified name has no provider. */
export function parseQualifiedName(name: string): { name: string; provider?: string } {
  const at = name.lastIndexOf('@');
  if (at <= 0) return { name };
  return { name: name.slice(0, at), provider: name.slice(at + 1) };
}

/** Qualifies a reference: an unqualified name resolves in the referring item's provider (Traefik's rule). */
export function qualifyName(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** Joins a name and its provider as `name@provider` (the name is taken as unqualified). */
export function joinName(name: string, provider: string): string {
  return `${name}@${provider}`;
}
