import { z } from 'zod';
import { SourceCriterionSchema } from './source-criterion.ts';

// inFlightReq, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go, pkg/middlewares/inflightreq).

/** The inFlightReq middleware: at most `amount` requests of one source in progress at once. */
export const InFlightReqSchema = z.strictObject({
  amount: z.number().int().min(0).optional().meta({
    description:
      'Requests of one source allowed in progress at once; more are answered 429 (0: every request is refused, as in Traefik)',
    docDefault: '0',
  }),
  sourceCriterion: SourceCriterionSchema.optional().meta({
    description: 'How requests are grouped into sources (one of its keys)',
    docDefault: 'requestHost',
  }),
});
