import { z } from 'zod';

// What a header the configuration sets (headers middleware) may hold, and how it goes on the wire. Node
// refuses to send a header name that is not a token, and a value with a control character or a character
// above U+00FF; a refusal at request time was a 500 on every request, or a response cut after the backend
// had done the work. Traefik (Go) sends values as their UTF-8 bytes and turns CR and LF into spaces: Wharf
// does the same, and refuses at load, naming the key, what no HTTP message can carry.

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Control characters other than tab, CR and LF (those become spaces), and DEL. */
function forbiddenInValue(c: number): boolean {
  return (c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f;
}

const codePoint = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `name` cannot be a header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (name === '') return 'a header name cannot be empty';
  if (TOKEN.test(name)) return undefined;
  const bad = [...name].find((c) => !TOKEN.test(c)) as string;
  const shown = bad === ' ' ? 'a space' : `the character ${codePoint(bad)}`;
  return `a header name cannot contain ${shown}; use letters, digits and !#$%&'*+-.^_\`|~`;
}

/** Why `value` cannot be a header value, or undefined when it can (the value itself is never quoted). */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    if (forbiddenInValue(value.charCodeAt(i)))
      return `a header value cannot contain the control character ${codePoint(value.charAt(i))}; remove it`;
  }
  return undefined;
}

/**
 * A valid header value as it is sent, the way Go writes it: CR and LF become spaces, surrounding spaces
 * and tabs are trimmed, and non-ASCII text goes out as its UTF-8 bytes (as a latin1 string, which is how
 * Node and undici write header bytes).
 */
export function headerWireValue(value: string): string {
  const flat = value.replace(/[\r\n]/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '');
  return /^[\x20-\x7e\t]*$/.test(flat) ? flat : Buffer.from(flat, 'utf8').toString('latin1');
}

/** A header name in the configuration (a map key), checked at load. */
export const HeaderNameSchema = z.string().superRefine((name, ctx) => {
  const problem = headerNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** A header value in the configuration, checked at load. */
export const HeaderValueSchema = z.string().superRefine((value, ctx) => {
  const problem = headerValueProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
