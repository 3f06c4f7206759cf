import { z } from 'zod';
import { HeaderNameSchema, HeaderValueSchema } from '../header-syntax.ts';

/** Options of the basicAuth middleware (Traefik's `basicAuth`), key for key. */
export const BasicAuthSchema = z.strictObject({
  users: z
    .array(z.string())
    .optional()
    .describe(
      'Users as name:hash, hashes as htpasswd makes them: bcrypt ($2y$, $2a$, $2b$), Apache MD5 ($apr1$), MD5-crypt ($1$) or SHA1 ({SHA}); merged with usersFile, and these win for a name in both',
    ),
  usersFile: z
    .string()
    .optional()
    .describe(
      'htpasswd file with one name:hash a line (blank lines and # comments skipped); watched, so a change takes effect without a reload',
    ),
  realm: HeaderValueSchema.optional().describe(
    'Realm named in the WWW-Authenticate challenge (default traefik)',
  ),
  headerField: HeaderNameSchema.optional().describe(
    'Request header set to the authenticated user name before forwarding, e.g. X-WebAuth-User',
  ),
  removeHeader: z
    .boolean()
    .optional()
    .describe('Remove the Authorization header before forwarding (default false)'),
});

/** basicAuth options after validation. */
export type BasicAuth = z.infer<typeof BasicAuthSchema>;
