import { z } from 'zod';

/**
 * `grpcWeb`: turns gRPC-Web requests (application/grpc-web, application/grpc-web-text) from browsers into
 * gRPC requests to the service, and the gRPC answers back into gRPC-Web (Traefik's GrpcWeb). The service
 * must speak gRPC: an h2c:// server, or an https:// one that offers HTTP/2.
 */
export const GrpcWebSchema = z.strictObject({
  allowOrigins: z
    .array(z.string())
    .optional()
    .describe(
      'Origins allowed to call from a browser (CORS), e.g. https://app.example.com; "*" allows every origin. Default: none',
    ),
});
