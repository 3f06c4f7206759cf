import { z } from 'zod';

// The part of `docker inspect` (GET /containers/{id}/json) Wharf reads. Validated because field shapes
// change between Engine API versions; unknown fields are kept (loose) and ignored.

const NetworkSchema = z.looseObject({
  IPAddress: z.string().optional().default(''),
  GlobalIPv6Address: z.string().optional().default(''),
  NetworkID: z.string().optional(),
  Aliases: z.array(z.string()).nullish(),
});

/** A container as the Docker provider sees it: the inspect fields the label decoder needs. */
export const ContainerInfoSchema = z.looseObject({
  Id: z.string(),
  /** With Docker's leading slash, e.g. "/web-1". */
  Name: z.string(),
  Config: z.looseObject({
    Labels: z
      .record(z.string(), z.string())
      .nullish()
      .transform((l) => l ?? {}),
    ExposedPorts: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((p) => p ?? {}),
    Healthcheck: z.looseObject({ Test: z.array(z.string()).nullish() }).nullish(),
  }),
  State: z.looseObject({
    Status: z.string(),
    Running: z.boolean(),
    Paused: z.boolean().optional().default(false),
    Health: z.looseObject({ Status: z.string() }).nullish(),
  }),
  HostConfig: z.looseObject({ NetworkMode: z.string().optional().default('default') }),
  NetworkSettings: z.looseObject({
    Networks: z
      .record(z.string(), NetworkSchema)
      .nullish()
      .transform((n) => n ?? {}),
    Ports: z
      .record(z.string(), z.array(z.looseObject({ HostIp: z.string(), HostPort: z.string() })).nullish())
      .nullish(),
  }),
});

/** A validated container inspect result. */
export type ContainerInfo = z.infer<typeof ContainerInfoSchema>;
