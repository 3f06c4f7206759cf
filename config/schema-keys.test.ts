import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurationSchema } from './duration.ts';
import { DynamicConfigSchema, RouterSchema, ServerSchema } from './dynamic.ts';
import {
  acceptsEmpty,
  childKeys,
  childSchema,
  coerceScalar,
  resolveKey,
  type SchemaNode,
  schemaAt,
  schemaNode,
  unwrapSchema,
} from './schema-keys.ts';
import { StaticConfigSchema } from './static.ts';

describe('schemaNode', () => {
  const cases: { name: string; schema: z.ZodType; node: SchemaNode }[] = [
    {
      name: 'strict object',
      schema: z.strictObject({ a: z.string(), b: z.number() }),
      node: { kind: 'object', keys: ['a', 'b'], strict: true },
    },
    {
      name: 'loose object',
      schema: z.object({ a: z.string() }),
      node: { kind: 'object', keys: ['a'], strict: false },
    },
    {
      name: 'optional object',
      schema: z.strictObject({ a: z.string() }).optional(),
      node: { kind: 'object', keys: ['a'], strict: true },
    },
    { name: 'default', schema: z.boolean().default(true), node: { kind: 'scalar', type: 'boolean' } },
    {
      name: 'prefault',
      schema: z.strictObject({}).prefault({}),
      node: { kind: 'object', keys: [], strict: true },
    },
    {
      name: 'pipe/transform',
      schema: z.string().transform((s) => s.length),
      node: { kind: 'scalar', type: 'string' },
    },
    { name: 'duration', schema: DurationSchema, node: { kind: 'scalar', type: 'duration' } },
    {
      name: 'optional described duration',
      schema: DurationSchema.optional().describe('x'),
      node: { kind: 'scalar', type: 'duration' },
    },
    {
      name: 'default duration',
      schema: DurationSchema.default(5),
      node: { kind: 'scalar', type: 'duration' },
    },
    {
      name: 'string|number union',
      schema: z.union([z.string(), z.number().int()]),
      node: { kind: 'scalar', type: 'stringOrNumber' },
    },
    {
      name: 'same-type union',
      schema: z.union([z.string(), z.string().url()]),
      node: { kind: 'scalar', type: 'string' },
    },
    {
      name: 'array',
      schema: z.array(z.string()).min(1),
      node: { kind: 'array', element: expect.anything() },
    },
    {
      name: 'record',
      schema: z.record(z.string(), z.number()),
      node: { kind: 'record', value: expect.anything() },
    },
    {
      name: 'enum',
      schema: z.enum(['none', 'lax', '']),
      node: { kind: 'scalar', type: 'enum', values: ['none', 'lax', ''] },
    },
    { name: 'literal', schema: z.literal('http'), node: { kind: 'scalar', type: 'enum', values: ['http'] } },
    { name: 'int', schema: z.number().int().min(0), node: { kind: 'scalar', type: 'number' } },
    { name: 'url', schema: ServerSchema.shape.url, node: { kind: 'scalar', type: 'string' } },
    { name: 'any', schema: z.any(), node: { kind: 'scalar', type: 'unknown' } },
  ];
  it.each(cases)('$name', ({ schema, node }) => {
    expect(schemaNode(schema)).toEqual(node);
  });
});

describe('keys and children', () => {
  it('lists the canonical keys of an object and nothing for other nodes', () => {
    expect(childKeys(RouterSchema)).toEqual([
      'rule',
      'ruleSyntax',
      'entryPoints',
      'middlewares',
      'service',
      'priority',
      'tls',
      'observability',
    ]);
    expect(childKeys(z.string())).toEqual([]);
  });

  const keys: { key: string; expected: string | undefined }[] = [
    { key: 'entryPoints', expected: 'entryPoints' },
    { key: 'entrypoints', expected: 'entryPoints' },
    { key: 'ENTRYPOINTS', expected: 'entryPoints' },
    { key: 'entry_points', expected: undefined },
    { key: 'priorty', expected: undefined },
  ];
  it.each(keys)('resolves $key case-insensitively', ({ key, expected }) => {
    expect(resolveKey(RouterSchema, key)).toBe(expected);
  });

  it('gives the schema of object keys, record values and array elements', () => {
    const http = childSchema(DynamicConfigSchema, 'http');
    expect(schemaNode(http as z.ZodType).kind).toBe('object');
    const routers = childSchema(http as z.ZodType, 'routers') as z.ZodType;
    expect(unwrapSchema(childSchema(routers, 'any-name') as z.ZodType)).toBe(RouterSchema);
    expect(schemaNode(childSchema(RouterSchema.shape.entryPoints, 0) as z.ZodType)).toEqual({
      kind: 'scalar',
      type: 'string',
    });
    expect(childSchema(RouterSchema, 'nope')).toBeUndefined();
    expect(childSchema(RouterSchema, 'entrypoints')).toBeUndefined(); // canonical spelling only
  });

  it('walks a path case-insensitively with schemaAt', () => {
    expect(schemaNode(schemaAt(StaticConfigSchema, ['ENTRYPOINTS', 'web', 'address']) as z.ZodType)).toEqual({
      kind: 'scalar',
      type: 'string',
    });
    expect(schemaNode(schemaAt(StaticConfigSchema, ['api', 'insecure']) as z.ZodType)).toEqual({
      kind: 'scalar',
      type: 'boolean',
    });
    expect(schemaAt(StaticConfigSchema, ['api', 'nope'])).toBeUndefined();
    expect(schemaAt(StaticConfigSchema, ['log', 'level', 'deeper'])).toBeUndefined();
    expect(
      schemaNode(
        schemaAt(DynamicConfigSchema, ['http', 'routers', 'r', 'tls', 'domains', '0', 'sans']) as z.ZodType,
      ).kind,
    ).toBe('array');
    expect(schemaAt(DynamicConfigSchema, ['http', 'routers', 'r', 'tls', 'domains', 'x'])).toBeUndefined();
  });

  it('knows which scalars take the empty string as a value', () => {
    expect(acceptsEmpty(z.enum(['none', '']))).toBe(true);
    expect(acceptsEmpty(z.enum(['none']))).toBe(false);
    expect(acceptsEmpty(z.string())).toBe(false);
  });
});

describe('coerceScalar', () => {
  const cases: { name: string; schema: z.ZodType; input: unknown; output: unknown }[] = [
    { name: 'number text to number', schema: z.number(), input: ' 42 ', output: 42 },
    { name: 'negative and decimal', schema: z.number(), input: '-1.5', output: -1.5 },
    { name: 'non-number text stays', schema: z.number(), input: 'abc', output: 'abc' },
    { name: 'boolean text, any case', schema: z.boolean(), input: 'TRUE', output: true },
    { name: 'false', schema: z.boolean(), input: 'false', output: false },
    { name: 'yes stays text', schema: z.boolean(), input: 'yes', output: 'yes' },
    { name: 'number to text', schema: z.string(), input: 8080, output: '8080' },
    { name: 'boolean to text', schema: z.string(), input: true, output: 'true' },
    { name: 'number to enum text', schema: z.enum(['1', '2']), input: 1, output: '1' },
    { name: 'duration text stays', schema: DurationSchema, input: '10', output: '10' },
    { name: 'duration number stays', schema: DurationSchema, input: 10, output: 10 },
    { name: 'string|number stays', schema: z.union([z.string(), z.number()]), input: '443', output: '443' },
    { name: 'objects stay', schema: z.string(), input: { a: 1 }, output: { a: 1 } },
    { name: 'non-scalar schema', schema: z.array(z.string()), input: 'a', output: 'a' },
  ];
  it.each(cases)('$name', ({ schema, input, output }) => {
    expect(coerceScalar(schema, input)).toEqual(output);
  });
});
