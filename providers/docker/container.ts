import { z } from 'zod';

// The part of `docker inspect` (GET /containers/{id}/json) Wharf reads. Validated because field shapes
// change between Engine API versions. Other fields (Env, Mounts, ...) are dropped: the provider's cache
// keeps only what routing needs, and no secrets from container environments.

const NetworkSchema = z.object({
  IPAddress: z.string().optional().default(''),
  GlobalIPv6Address: z.string().optional().default(''),
  NetworkID: z.string().optional(),
  Aliases: z.array(z.string()).nullish(),
});

/** A container as the Docker provider sees it: the inspect fields the label decoder needs. */
export const ContainerInfoSchema = z.object({
  Id: z.string(),
  /** With Docker's leading slash, e.g. "/web-1". */
  Name: z.string(),
  Config: z.object({
    Labels: z
      .record(z.string(), z.string())
      .nullish()
      .transform((l) => l ?? {}),
    ExposedPorts: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((p) => p ?? {}),
    Healthcheck: z.object({ Test: z.array(z.string()).nullish() }).nullish(),
  }),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    Paused: z.boolean().optional().default(false),
    Health: z.object({ Status: z.string() }).nullish(),
  }),
  HostConfig: z.object({ NetworkMode: z.string().optional().default('default') }),
  NetworkSettings: z.object({
    Networks: z
      .record(z.string(), NetworkSchema)
      .nullish()
      .transform((n) => n ?? {}),
    Ports: z
      .record(z.string(), z.array(z.object({ HostIp: z.string(), HostPort: z.string() })).nullish())
      .nullish(),
  }),
});

/** A validated container inspect result. */
export type ContainerInfo = z.infer<typeof ContainerInfoSchema>;
