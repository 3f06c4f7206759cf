import type { z } from 'zod';
import type { EncodedCharactersSchema } from '../../config/middlewares/encoded-characters.ts';
import type { Middleware } from '../middleware.ts';
import { splitUrl } from '../path.ts';
import { deniedEncoding, deniedEncodings } from './denied-encodings.ts';

/**
 * Refuses a request whose path holds a denied percent-encoded character with 400 and an empty body, as
 * Traefik v3.7's EncodedCharacters middleware does. Every option defaults to false here (denied), unlike
 * the entryPoint's `http.encodedCharacters`, whose options default to true.
 */
export function encodedCharacters(options: z.infer<typeof EncodedCharactersSchema>): Middleware {
  const denied = deniedEncodings({
    allowEncodedSlash: options.allowEncodedSlash === true,
    allowEncodedBackSlash: options.allowEncodedBackSlash === true,
    allowEncodedNullCharacter: options.allowEncodedNullCharacter === true,
    allowEncodedSemicolon: options.allowEncodedSemicolon === true,
    allowEncodedPercent: options.allowEncodedPercent === true,
    allowEncodedQuestionMark: options.allowEncodedQuestionMark === true,
    allowEncodedHash: options.allowEncodedHash === true,
  });
  return (next) => async (req, res) => {
    if (deniedEncoding(splitUrl(req.url ?? '/').path, denied) === undefined) return next(req, res);
    res.writeHead(400, { 'content-length': '0' });
    res.end();
  };
}
