import { z } from 'zod';
import { DurationSchema } from './duration.ts';

// A load balancer's `healthCheck` (Traefik v3.7 dynamic.ServerHealthCheck); router/services/health-check.ts
// runs it.

/** Active health check of a load balancer's servers. */
export const HealthCheckSchema = z.strictObject({
  path: z.string().optional().describe('Path probed on every server, e.g. /health'),
  port: z.number().int().min(1).max(65535).optional().describe('Port to probe instead of the server port'),
  scheme: z.enum(['http', 'https']).optional().describe('Scheme to probe with instead of the server scheme'),
  mode: z
    .enum(['http', 'grpc'])
    .optional()
    .describe('http (default), or grpc: the gRPC Health Checking Protocol (grpc.health.v1.Health/Check)'),
  hostname: z.string().optional().describe('Host header sent with the probe'),
  interval: DurationSchema.optional().describe('Time between probes (default 30s)'),
  unhealthyInterval: DurationSchema.optional().describe(
    'Time between probes of an unhealthy server (default: interval)',
  ),
  timeout: DurationSchema.optional().describe('Probe timeout (default 5s)'),
  method: z.string().optional().describe('Probe method (default GET)'),
  status: z
    .number()
    .int()
    .min(100)
    .max(599)
    .optional()
    .describe('Status that means healthy (default: any 2xx or 3xx)'),
  followRedirects: z.boolean().optional().describe('Follow redirects of the probe (default true)'),
  headers: z.record(z.string(), z.string()).optional().describe('Extra headers sent with the probe'),
});
