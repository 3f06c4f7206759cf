import { type AnySchema, childSchema, schemaNode } from '../../config/schema-keys.ts';
import { goDurationString } from '../../middleware/go-duration.ts';

/**
 * A copy of a configuration object with every duration option (decoded to milliseconds by DurationSchema)
 * written as Traefik's API writes it, a Go duration string: 250 → "250ms", 60000 → "1m0s". Keys the
 * schema does not know (name, status, usedBy, serverStatus, ...) are copied as they are.
 */
export function withGoDurations<T>(value: T, schema: AnySchema): T {
  return convert(value, schema) as T;
}

function convert(value: unknown, schema: AnySchema | undefined): unknown {
  if (schema === undefined || value === null || value === undefined) return value;
  const node = schemaNode(schema);
  if (node.kind === 'scalar')
    return node.type === 'duration' && typeof value === 'number' ? goDuration(value) : value;
  if (node.kind === 'array') return Array.isArray(value) ? value.map((v) => convert(v, node.element)) : value;
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = convert(v, node.kind === 'record' ? node.value : childSchema(schema, k));
  return out;
}

/** Milliseconds as Go's time.Duration.String() writes them. */
export function goDuration(ms: number): string {
  return goDurationString(Math.round(ms * 1e6));
}
