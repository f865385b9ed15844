// The zod schema of space files (YAML or JSON). Types of the parsed file come from here
// (SpaceFile); the resolved form with its decision dimensions is in types.ts.
import { z } from 'zod';

const posInt = z.number().int().positive();
/** A scalar a recipe or stage field may take. */
const scalar = z.union([z.number(), z.string().min(1), z.boolean()]);

/**
 * A range in the papers' (lo, hi, step) notation, read as Python's range: hi is excluded
 * (FBNetV3's "(1, 4)" layers means 1, 2, 3). `scale` multiplies every value ("(20, 30) x 1e-3").
 */
export const rangeSchema = z.strictObject({
  range: z.union([z.tuple([z.number(), z.number()]), z.tuple([z.number(), z.number(), z.number().positive()])]),
  scale: z.number().positive().optional(),
});

/** A fixed positive integer, a set of them, or a range. */
export const intSpec = z.union([posInt, z.array(posInt).min(1), rangeSchema]);
export type IntSpec = z.infer<typeof intSpec>;
const boolSpec = z.union([z.boolean(), z.array(z.boolean()).min(1)]);
const actName = z.enum(['relu', 'relu6', 'hswish', 'swish']);
const actSpec = z.union([actName, z.array(actName).min(1)]);
/** A recipe field: a fixed value, a set, or a range. */
export const valueSpec = z.union([scalar, z.array(scalar).min(1), rangeSchema]);
export type ValueSpec = z.infer<typeof valueSpec>;

/** CxHxW as "3x224x224" or [3, 224, 224]. */
const inputShape = z.union([
  z.tuple([posInt, posInt, posInt]),
  z.string().regex(/^[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*$/, 'expected CxHxW, e.g. 3x32x32'),
]);

const stemSchema = z.strictObject({
  /** A plain conv op, e.g. conv_k3 or conv_k3_hs. */
  op: z.string(),
  channels: intSpec,
  stride: posInt.default(1),
});
const headSchema = z.strictObject({
  /** conv_k1 (FBNet, MobileNetV2) or mbpool_e6_hs (FBNetV3). */
  op: z.string(),
  channels: intSpec,
});
const classifierSchema = z.strictObject({
  dropout: z.number().min(0).lt(1).default(0),
  bias: z.boolean().default(true),
});

const common = {
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  description: z.string().optional(),
  /** Default input shape CxHxW; a caller may override it (data sets, an `input`). */
  input: inputShape,
  classes: posInt,
  /**
   * The reading of e = 1 in inverted residuals (cost-conventions.md): 'keep' runs the first
   * 1x1 conv even when it does not expand (the FBNet block as written), 'drop' leaves it out
   * (MobileNetV2's t = 1 block). Required: every space states its reading.
   */
  e1FirstConv: z.enum(['keep', 'drop']),
  stem: stemSchema,
  head: headSchema,
  pool: z.literal('avg').default('avg'),
  classifier: classifierSchema.default({ dropout: 0, bias: true }),
  /** Training-recipe fields searched with the architecture (FBNetV3). */
  recipe: z
    .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'a field name: letters and digits'), valueSpec)
    .optional(),
  /** Named architectures of this space: name -> architecture string (or choice indices). */
  architectures: z.record(z.string(), z.string()).optional(),
};

/** FBNet style: a fixed macro-architecture; each layer picks one op from a list. */
export const layerwiseStageSchema = z.strictObject({
  channels: posInt,
  repeats: posInt,
  stride: posInt,
  /** This stage's candidates (default: the space's `candidates`); one entry = a fixed layer. */
  ops: z.array(z.string()).min(1).optional(),
});
export const layerwiseSchema = z.strictObject({
  style: z.literal('layerwise'),
  ...common,
  candidates: z.array(z.string()).min(1).optional(),
  /**
   * Multi-branch layers: a layer may run up to this many of its candidates at once, their
   * outputs summed (architecture value `ir_k3_e3+ir_k5_e1`). Absent: one op per layer. No default,
   * so the validated file (and the fingerprint) of a space without it is what it was.
   */
  branches: z.number().int().min(1).max(8).optional(),
  stages: z.array(layerwiseStageSchema).min(1),
});

/** FBNetV3 style: per-stage ranges and sets, one value shared by the stage's blocks. */
export const stagewiseStageSchema = z.strictObject({
  kernel: intSpec,
  /** One spec for every block, or separate ones for the first block and the others. */
  expansion: z.union([intSpec, z.strictObject({ first: intSpec, rest: intSpec })]),
  channels: intSpec,
  depth: intSpec,
  stride: posInt,
  se: boolSpec.default(false),
  /** Defaults to the space's `act`. */
  act: actSpec.optional(),
});
export const stagewiseSchema = z.strictObject({
  style: z.literal('stagewise'),
  ...common,
  /** Searched input resolution (H = W); the input's H and W then come from the architecture. */
  resolution: intSpec.optional(),
  act: actName.default('relu'),
  stages: z.array(stagewiseStageSchema).min(1),
});

export const spaceFileSchema = z.discriminatedUnion('style', [layerwiseSchema, stagewiseSchema]);
export type SpaceFile = z.infer<typeof spaceFileSchema>;
export type LayerwiseSpaceFile = z.infer<typeof layerwiseSchema>;
export type StagewiseSpaceFile = z.infer<typeof stagewiseSchema>;
