import type { z } from 'zod';
import type { CompressSchema } from '../../config/middlewares/compress.ts';
import type { Logger } from '../../core/log.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { type CompressPolicy, compressResponse } from './compress-response.ts';
import { gzipEngine } from './fast-gzip.ts';
import { type MediaType, mediaTypeMatches, parseMediaType } from './media-type.ts';
import { chooseEncoding, type Encoding, type EncodingPreferences, SUPPORTED_ENCODINGS } from './negotiate.ts';

type Options = z.infer<typeof CompressSchema>;

let engineLogged = false;

/** Says once per process which engine gzips whole bodies, and why it is not libdeflate when it is not. */
function logEngineOnce(logger: Logger): void {
  if (engineLogged) return;
  engineLogged = true;
  const engine = gzipEngine();
  if (engine.name === 'libdeflate')
    logger.info('compress: gzip of whole bodies by libdeflate (native addon)');
  else logger.info(`compress: gzip by Node's zlib: ${engine.reason}`);
}

/** Traefik's default minResponseBodyBytes (klauspost/gzhttp's DefaultMinSize). */
export const DEFAULT_MIN_SIZE = 1024;

function mediaTypes(list: readonly string[], which: string): MediaType[] {
  return list.map((v) => {
    const m = parseMediaType(v);
    if (m === undefined)
      throw new Error(`parsing ${which} media type: "${v}" is not a media type (type/subtype)`);
    return m;
  });
}

/**
 * Compiles the options as Traefik v3.7's compress.New checks them: the two content-type lists exclude
 * each other, at least one encoding, each of gzip/br/zstd, a defaultEncoding among them, media types that
 * parse; application/grpc is always excluded.
 */
export function compilePolicy(
  options: Options,
  setTimer: CompressPolicy['setTimer'],
): { policy: CompressPolicy; prefs: EncodingPreferences } {
  const excludedList = options.excludedContentTypes ?? [];
  const includedList = options.includedContentTypes ?? [];
  if (excludedList.length > 0 && includedList.length > 0)
    throw new Error('excludedContentTypes and includedContentTypes options are mutually exclusive: keep one');
  const encodings = options.encodings ?? [...SUPPORTED_ENCODINGS];
  if (encodings.length === 0) throw new Error('at least one encoding must be specified (gzip, br, zstd)');
  for (const e of encodings)
    if (!(SUPPORTED_ENCODINGS as readonly string[]).includes(e))
      throw new Error(`unsupported encoding: "${e}" (use gzip, br or zstd)`);
  const def = options.defaultEncoding === '' ? undefined : options.defaultEncoding;
  if (def !== undefined && !encodings.includes(def))
    throw new Error(`unsupported default encoding: "${def}" is not one of encodings`);
  const excluded = [...mediaTypes(['application/grpc'], 'excluded'), ...mediaTypes(excludedList, 'excluded')];
  const included = mediaTypes(includedList, 'included');
  const min = options.minResponseBodyBytes;
  return {
    policy: { minSize: min !== undefined && min > 0 ? min : DEFAULT_MIN_SIZE, excluded, included, setTimer },
    prefs: { encodings: encodings as Encoding[], defaultEncoding: def as Encoding | undefined },
  };
}

/**
 * Traefik's compress middleware: responses compressed with gzip, br or zstd as the request's
 * Accept-Encoding and the options choose. Requests it leaves alone entirely (no Vary added), as Traefik:
 * HEAD, a request Content-Type among the excluded types (application/grpc), no Accept-Encoding without a
 * defaultEncoding, no acceptable encoding; and, in Wharf, protocol upgrades (WebSocket) and Range requests.
 */
export const compress: MiddlewareDefinition<Options> = {
  create(options, ctx) {
    const { policy, prefs } = compilePolicy(options, (fn, ms) => ctx.clock.setTimeout(fn, ms));
    if (prefs.encodings.includes('gzip')) logEngineOnce(ctx.logger);
    const excludedRequest = policy.excluded;
    return {
      wrap: (next) => async (req, res) => {
        if (req.method === 'HEAD' || req.headers.range !== undefined || requestState(req).upgrade)
          return next(req, res);
        const requestType = req.headers['content-type'];
        if (requestType !== undefined) {
          const media = parseMediaType(requestType);
          if (media !== undefined && excludedRequest.some((m) => mediaTypeMatches(m, media)))
            return next(req, res);
        }
        const encoding = chooseEncoding(req.headers['accept-encoding'], prefs);
        if (encoding === undefined) return next(req, res);
        compressResponse(res, encoding, policy);
        return next(req, res);
      },
    };
  },
};
