import { z } from 'zod';

const allow = (what: string) =>
  z
    .boolean()
    .optional()
    .describe(`Allow ${what} in the request path (default false: such a request is answered 400)`);

/**
 * `encodedCharacters`: refuses requests whose path holds percent-encoded reserved characters (Traefik
 * v3.7's EncodedCharacters middleware). Unlike the entryPoint option of the same name, every character is
 * denied unless allowed here.
 */
export const EncodedCharactersSchema = z.strictObject({
  allowEncodedSlash: allow('an encoded slash (%2F)'),
  allowEncodedBackSlash: allow('an encoded backslash (%5C)'),
  allowEncodedNullCharacter: allow('an encoded NUL character (%00)'),
  allowEncodedSemicolon: allow('an encoded semicolon (%3B)'),
  allowEncodedPercent: allow('an encoded percent sign (%25)'),
  allowEncodedQuestionMark: allow('an encoded question mark (%3F)'),
  allowEncodedHash: allow('an encoded hash (%23)'),
});
