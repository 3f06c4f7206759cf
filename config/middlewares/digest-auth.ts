import { z } from 'zod';
import { HeaderNameSchema, HeaderValueSchema } from '../header-syntax.ts';

/** Options of the digestAuth middleware (Traefik's `digestAuth`), key for key. */
export const DigestAuthSchema = z.strictObject({
  users: z
    .array(z.string())
    .optional()
    .describe(
      'Users as name:realm:HA1 (htdigest format, HA1 = MD5 of name:realm:password); merged with usersFile, and these win for a name in both',
    ),
  usersFile: z
    .string()
    .optional()
    .describe(
      'htdigest file with one name:realm:HA1 a line (blank lines and # comments skipped); watched, so a change takes effect without a reload',
    ),
  realm: HeaderValueSchema.optional().describe(
    'Realm of the challenge; only users of this realm can log in (default traefik)',
  ),
  headerField: HeaderNameSchema.optional().describe(
    'Request header set to the authenticated user name before forwarding, e.g. X-WebAuth-User',
  ),
  removeHeader: z
    .boolean()
    .optional()
    .describe('Remove the Authorization header before forwarding (default false)'),
});

/** digestAuth options after validation. */
export type DigestAuth = z.infer<typeof DigestAuthSchema>;
