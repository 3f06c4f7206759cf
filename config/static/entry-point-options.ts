import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// Traefik v3.7's entryPoint options beyond address, timeouts and redirections (pkg/config/static/
// entrypoints.go): the PROXY protocol, keep-alive limits, header size, query semicolons and the forwarded
// headers' extras. Spread into config/static.ts's EntryPointSchema; the runtime is router/http/. Keys are
// optional (defaults applied where they are used) so a section without them reads as written.

/** Go's http.DefaultMaxHeaderBytes, Traefik's default `http.maxHeaderBytes` (1 MiB). */
export const DEFAULT_MAX_HEADER_BYTES = 1 << 20;

/** `entryPoints.<name>.proxyProtocol`: read the client address from a PROXY protocol v1/v2 header. */
export const ProxyProtocolSchema = z.strictObject({
  insecure: z
    .boolean()
    .optional()
    .describe('Trust the PROXY header of every peer (default false: only those in trustedIPs)'),
  trustedIPs: z
    .array(z.string())
    .optional()
    .describe(
      'Peers (IPs or CIDRs) whose PROXY header gives the client address; a header from another peer is read and ignored',
    ),
});

/** Keys of the entryPoint itself. */
export const entryPointExtras = {
  proxyProtocol: ProxyProtocolSchema.optional().describe(
    'Accept PROXY protocol v1 and v2 headers (from a load balancer such as HAProxy or an AWS NLB); the address they carry is the client address everywhere (ipAllowList, access log, X-Forwarded-For)',
  ),
  reusePort: z
    .boolean()
    .optional()
    .describe(
      'Let several processes listen on the same port (SO_REUSEPORT, Linux), e.g. to start a new Wharf before stopping the old one',
    ),
};

/** Keys of `entryPoints.<name>.transport`. */
export const entryPointTransportExtras = {
  keepAliveMaxRequests: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Close a keep-alive connection after this many requests (default 0: no limit)'),
  keepAliveMaxTime: DurationSchema.optional().describe(
    'Close a keep-alive connection after the first request that starts this long after it was accepted (default 0: no limit)',
  ),
};

/** Keys of `entryPoints.<name>.http`. */
export const entryPointHttpExtras = {
  maxHeaderBytes: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Largest request line and headers, in bytes (default 1048576, as Traefik; Node alone allows 16 KiB); larger ones are answered 431',
    ),
  underscoreHeadersStrategy: z
    .enum(['keep', 'delete', 'reject'])
    .optional()
    .describe(
      'Request headers with `_` in their name: keep (default), delete them before routing, or reject the request with 400',
    ),
  encodeQuerySemicolons: z
    .boolean()
    .optional()
    .describe(
      'Forward `;` in query strings as %3B (default false: `;` separates parameters like `&`, as Traefik does: `a=1;b=2` becomes `a=1&b=2`)',
    ),
};

/** Keys of `entryPoints.<name>.forwardedHeaders`. */
export const entryPointForwardedExtras = {
  connection: z
    .array(z.string())
    .optional()
    .describe(
      'Headers named in the Connection header that still reach the middlewares (they are removed before forwarding)',
    ),
  notAppendXForwardedFor: z
    .boolean()
    .optional()
    .describe(
      'Do not append the client address to X-Forwarded-For (default false); a trusted peer’s header is forwarded as received',
    ),
};
