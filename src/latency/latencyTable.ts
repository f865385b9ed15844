// Latency lookup tables: the file format (JSON, target-agnostic), reading and writing it, and
// predicting an architecture's latency from it. A table never needs the engine: predicting is a
// sum over the decoded network's layers, so searches can call it in their inner loop.
//
// Model (stated in the file as `model`):
//   latencyUs(arch) = overheadUs + sum over the layers of the decoded network of entries[key].us
// where the layers are those of costBreakdown (stem, blocks, head, pool, classifier) and
// `overheadUs` is the network-level time the per-op sums miss (the network's own forward and
// memory scope, the handover between layers, cache effects), fitted during `lut build` as the
// least-squares intercept (slope fixed at 1) of measured whole networks against their sums.
import { z } from 'zod';
import { checkData, parseDataText, readDataText, type DataFileKind } from '../io/readDataFile';
import { writeOutputFile } from '../io/writeOutputFile';
import { isBuiltinSpace } from '../space/registry';
import type { Arch, Space } from '../space/types';
import { archIndices, defaultArch, archFromIndices } from '../space/archFormat';
import type { Coverage } from './requiredOps';
import { archOps, searchesResolution } from './requiredOps';
import type { OpSpec, TargetInfo } from './target';
import { DEFAULT_OP_TIMING, ONE_CALL, opTimingOf } from './opTiming';
import { DEFAULT_TARGET, isEngineTarget, TARGET_NAMES } from './latencyTargets';
import { FieldError } from '../io/fieldError';

export const TABLE_FORMAT = 'tsnas-latency-table';
export const TABLE_FORMAT_VERSION = 1;

export const MODEL_TEXT =
  'latencyUs = overheadUs + sum of entries[key].us over the layers of the decoded network (stem, blocks, head, pool, classifier)';

export interface LatencyEntry extends OpSpec {
  /** Median of the timed runs, microseconds. */
  us: number;
  /** Quartiles of the timed runs (the spread), microseconds. */
  p25Us: number;
  p75Us: number;
  /** Layers of the space that need this key. */
  layers: string[];
}

/** How the network-level overhead was found, and how well the model fits its calibration set. */
export interface OverheadFit {
  method: string;
  /** Calibration architectures (whole networks timed during the build). */
  archs: number;
  seed: number;
  /** Mean of the per-op sums and of the measured times over the calibration set. */
  meanSumUs: number;
  meanMeasuredUs: number;
  /** Standard deviation of measured - (sum + overheadUs) over the calibration set. */
  residualSdUs: number;
  /** For information: an unconstrained least-squares line measured = slope * sum + intercept. */
  freeFit: { slope: number; intercept: number };
  /**
   * The fitted calibration networks and their measured times: the machine's speed when the table
   * was built, which `lut validate` times again (the level check). Absent in older tables.
   */
  networks?: CalibrationNetwork[];
}

export interface CalibrationNetwork {
  arch: string;
  measuredUs: number;
}

export interface LatencyTable {
  format: typeof TABLE_FORMAT;
  formatVersion: number;
  /** A few lines saying what the file is, for someone who opens it. */
  about: string[];
  /** ISO 8601. */
  created: string;
  target: TargetInfo;
  space: { name: string; style: string; file?: string };
  /** Input CxHxW, or null when the space searches the resolution (each architecture brings its own). */
  input: [number, number, number] | null;
  classes: number;
  protocol: { warmup: number; repeats: number; rounds: number; statistic: 'median'; batch: number; preempted: string };
  coverage: Coverage;
  model: string;
  /** Network-level time the per-op sums miss, microseconds (may be negative), added once per network. */
  overheadUs: number;
  overhead: OverheadFit;
  /**
   * How disturbed the build was: timed runs kept, runs discarded because another process took the
   * core during them (re-run), and what was timed with too few clean runs (its timing inflated).
   */
  noise: { timedRuns: number; discardedRuns: number; contended: string[] };
  entries: Record<string, LatencyEntry>;
}

const shape3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const entrySchema = z.object({
  op: z.string().min(1),
  input: shape3,
  cin: z.number().int().positive(),
  cout: z.number().int().positive(),
  stride: z.number().int().positive(),
  e1FirstConv: z.enum(['keep', 'drop']).optional(),
  bias: z.boolean().optional(),
  us: finite.refine((v) => v >= 0, 'must be >= 0'),
  p25Us: finite,
  p75Us: finite,
  layers: z.array(z.string()),
});
const tableSchema = z.object({
  format: z.literal(TABLE_FORMAT),
  formatVersion: z.literal(TABLE_FORMAT_VERSION),
  about: z.array(z.string()),
  created: z.string(),
  target: z.object({
    name: z.string().min(1),
    runtime: z.string().min(1),
    version: z.string(),
    threads: z.number().int().positive(),
    batch: z.number().int().positive(),
    settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    machine: z.object({
      cpu: z.string(),
      cores: z.number().int().positive(),
      os: z.string(),
      hostname: z.string().optional(),
    }),
  }),
  space: z.object({ name: z.string().min(1), style: z.string(), file: z.string().optional() }),
  input: z.union([shape3, z.null()]),
  classes: z.number().int().positive(),
  protocol: z.object({
    warmup: z.number().int().nonnegative(),
    repeats: z.number().int().positive(),
    rounds: z.number().int().positive(),
    statistic: z.literal('median'),
    batch: z.number().int().positive(),
    preempted: z.string(),
  }),
  coverage: z.object({
    method: z.enum(['complete', 'sampled']),
    description: z.string(),
    archs: z.number().int().nonnegative(),
    seed: z.number().int().optional(),
    sample: z.number().int().positive().optional(),
  }),
  model: z.string(),
  overheadUs: finite,
  overhead: z.object({
    method: z.string(),
    archs: z.number().int().nonnegative(),
    seed: z.number().int(),
    meanSumUs: finite,
    meanMeasuredUs: finite,
    residualSdUs: finite,
    freeFit: z.object({ slope: finite, intercept: finite }),
    networks: z.array(z.object({ arch: z.string(), measuredUs: finite })).optional(),
  }),
  noise: z.object({
    timedRuns: z.number().int().nonnegative(),
    discardedRuns: z.number().int().nonnegative(),
    contended: z.array(z.string()),
  }),
  entries: z.record(z.string(), entrySchema),
});

const LATENCY_TABLE: DataFileKind = {
  what: 'latency table',
  format: 'json',
  invalid: 'malformed',
  fix: 'Rebuild it with: npx tsnas lut build <space> -o FILE',
};

/** Checks parsed JSON as a latency table; errors name the file, the field and the problem. */
export function tableFromData(data: unknown, origin = '<data>'): LatencyTable {
  if (data && typeof data === 'object' && (data as { format?: unknown }).format !== TABLE_FORMAT) {
    throw new Error(
      `${origin} is not a tsnas latency table (no "format": "${TABLE_FORMAT}"); build one with: npx tsnas lut build <space> -o FILE`,
    );
  }
  return checkData(data, tableSchema, origin, LATENCY_TABLE) as LatencyTable;
}

export function readLatencyTable(file: string): LatencyTable {
  return tableFromData(parseDataText(readDataText(file, LATENCY_TABLE), file, LATENCY_TABLE), file);
}

/** Writes a table (atomically, its directory made); errors name the file. */
export function writeLatencyTable(file: string, table: LatencyTable): void {
  writeOutputFile(file, `${JSON.stringify(table, null, 1)}\n`, 'latency table');
}

export const formatShape = (s: readonly number[] | null): string =>
  s ? s.join('x') : "the architecture's own resolution";

/** How a space is named on the command line: its built-in name, or its file (a user's file named like a built-in too). */
export function spaceArg(space: Space): string {
  return !space.file || isBuiltinSpace(space) ? space.name : space.file;
}

/**
 * How to build a table: the space (its name or file: spaceArg) and the settings that differ from
 * the defaults, in the order a command line gives them (the field names of the build's options).
 */
export interface TableBuild {
  space: string;
  settings: Array<[field: 'input' | 'target' | 'device' | 'opTiming' | 'opCopies' | 'threads', value: string | number]>;
}

/**
 * The settings that time where and as the table's target did: the target (and an engine-cuda
 * table's device), and an ONNX target's op timing where it is not the default.
 */
export function targetSettings(t: TargetInfo): TableBuild['settings'] {
  const out: TableBuild['settings'] = [];
  if (t.name !== DEFAULT_TARGET && (TARGET_NAMES as readonly string[]).includes(t.name)) out.push(['target', t.name]);
  if (t.name === 'engine-cuda' && typeof t.settings.device === 'string') out.push(['device', t.settings.device]);
  if ((TARGET_NAMES as readonly string[]).includes(t.name) && !isEngineTarget(t.name)) {
    const timing = opTimingOf(t.settings);
    if (!timing.subtractCall) out.push(['opTiming', ONE_CALL]);
    if (timing.copies !== DEFAULT_OP_TIMING.copies) out.push(['opCopies', timing.copies]);
  }
  return out;
}

/** A table like this one (its target, its op timing) with another input or thread count. */
function buildLike(space: Space, table: LatencyTable, o: { input?: string; threads?: number } = {}): TableBuild {
  return {
    space: spaceArg(space),
    settings: [
      ...(o.input ? ([['input', o.input]] as TableBuild['settings']) : []),
      ...targetSettings(table.target),
      ['threads', o.threads ?? table.target.threads],
    ],
  };
}

function rebuildLike(space: Space, table: LatencyTable): TableBuild {
  return buildLike(space, table, {
    ...(table.input && !searchesResolution(space) ? { input: table.input.join('x') } : {}),
  });
}

/** A table build in the library's words: "a table of space fbnet-s with `input` 3x32x32, `threads` 1". */
export function describeTableBuild(b: TableBuild): string {
  return `a table of space ${b.space} with ${b.settings.map(([f, v]) => `\`${f}\` ${v}`).join(', ')} (buildLatencyTable)`;
}

/**
 * A latency table that does not fit its use (another space, input, thread count, or a key it
 * lacks): a FieldError of `lut`, with the build that would fit (the CLI words it as its command).
 */
export class LatencyTableError extends FieldError {
  /** What to do, before the build: 'build one for this input'. */
  readonly lead: string;
  readonly rebuild: TableBuild;
  constructor(problem: string, o: { file?: string; lead: string; rebuild: TableBuild }) {
    super('lut', o.file ?? null, problem, { hint: `${o.lead}: ${describeTableBuild(o.rebuild)}` });
    this.lead = o.lead;
    this.rebuild = o.rebuild;
  }
}

export interface TableCheck {
  /** The input the caller will use; undefined: the table's. */
  input?: readonly [number, number, number] | null;
  /** The classes the caller's networks have; undefined: the table's. */
  classes?: number;
  threads?: number;
  /** The table's file, named in errors. */
  file?: string;
  /**
   * Where the input comes from, for callers that take no `input` (e.g. "the input of `data`
   * synthetic:2"); without it, errors suggest an `input`.
   */
  inputFrom?: string;
}

/** Throws unless the table was built for this space (and this input, classes and thread count, when given). */
export function checkTableFor(table: LatencyTable, space: Space, o: TableCheck = {}): void {
  const the = o.file ? `the latency table ${o.file}` : 'the latency table';
  if (table.space.name !== space.name) {
    throw new LatencyTableError(`${the} was built for space '${table.space.name}', not '${space.name}'`, {
      file: o.file,
      lead: `build one for '${space.name}'`,
      rebuild: rebuildLike(space, table),
    });
  }
  if (o.input !== undefined && o.input !== null && formatShape(o.input) !== formatShape(table.input)) {
    const use = o.inputFrom
      ? ` (${o.inputFrom})`
      : table.input
        ? ` (give \`input\` ${table.input.join('x')} to use it)`
        : '';
    throw new LatencyTableError(
      `${the} was built for input ${formatShape(table.input)}, not ${formatShape(o.input)}${use}; its latencies would be another network's`,
      {
        file: o.file,
        lead: 'build one for this input',
        rebuild: buildLike(space, table, { input: o.input.join('x') }),
      },
    );
  }
  if (o.classes !== undefined && o.classes !== table.classes) {
    throw new Error(
      `${the} was built for ${table.classes} classes, not ${o.classes}: its classifier times would be another network's; ` +
        `build one for these networks: npx tsnas lut build with a space of ${o.classes} classes (-o FILE)`,
    );
  }
  if (o.threads !== undefined && o.threads !== table.target.threads) {
    throw new LatencyTableError(`${the} was measured with ${table.target.threads} thread(s), not ${o.threads}`, {
      file: o.file,
      lead: 'build one with',
      rebuild: buildLike(space, table, {
        ...(table.input ? { input: table.input.join('x') } : {}),
        threads: o.threads,
      }),
    });
  }
}

export interface LayerLatency {
  layer: string;
  key: string;
  us: number;
}

/** Per-layer latencies of an architecture, from the table, plus the overhead and the total. */
export function predictLatencyBreakdown(
  table: LatencyTable,
  space: Space,
  arch: Arch,
): { totalUs: number; overheadUs: number; layers: LayerLatency[] } {
  if (table.space.name !== space.name) checkTableFor(table, space);
  const layers: LayerLatency[] = [];
  let total = table.overheadUs;
  for (const { key, layer, spec } of archOps(space, arch, table.input)) {
    const e = table.entries[key];
    if (!e) {
      throw new LatencyTableError(
        `latency table has no entry for key '${key}' (layer ${layer}, op ${spec.op}, input ${spec.input.join('x')}): ` +
          `it was built for another space or input (${table.space.name}, ${formatShape(table.input)}), or sampled too sparsely`,
        { lead: 'rebuild the table for this space/input', rebuild: rebuildLike(space, table) },
      );
    }
    layers.push({ layer, key, us: e.us });
    total += e.us;
  }
  return { totalUs: total, overheadUs: table.overheadUs, layers };
}

/** Predicted latency of an architecture in microseconds: overheadUs + the sum of its layers' entries. */
export function predictLatency(table: LatencyTable, space: Space, arch: Arch): number {
  return predictLatencyBreakdown(table, space, arch).totalUs;
}

/**
 * Per-choice latencies for differentiable search (FBNet's LAT(b_{l,i})): for every searched
 * dimension, the latency of the layers that choice decides, for each of its values, and the
 * latency of everything else (`fixedUs`, overhead included). For a layerwise space
 * predictLatency(arch) = fixedUs + sum_j us[j][index of arch's value j] exactly, since every
 * layer's key depends on one choice; it throws for spaces where that does not hold.
 */
export function choiceLatencies(
  table: LatencyTable,
  space: Space,
): { fixedUs: number; dims: { key: string; values: Space['dims'][number]['values']; us: number[] }[] } {
  const base = archIndices(space, defaultArch(space));
  const layersOf = (idx: number[]) => predictLatencyBreakdown(table, space, archFromIndices(space, idx)).layers;
  const baseLayers = layersOf(base);
  const owner = new Map<string, number>(); // layer -> dimension deciding it
  const dims = space.searchDims.map((d, j) => {
    const per = d.values.map((_, a) => {
      const idx = [...base];
      idx[j] = a;
      return layersOf(idx);
    });
    const decided = baseLayers
      .map((l, i) => (per.some((p) => p[i]!.key !== l.key) ? l.layer : null))
      .filter((x): x is string => x !== null);
    for (const l of decided) {
      if (owner.has(l))
        throw new Error(
          `choiceLatencies: layer ${l} depends on two choices ('${space.searchDims[owner.get(l)!]!.key}' and '${d.key}'); use predictLatency`,
        );
      owner.set(l, j);
    }
    return {
      key: d.key,
      values: d.values,
      us: per.map((p) => p.filter((l) => decided.includes(l.layer)).reduce((s, l) => s + l.us, 0)),
    };
  });
  const fixedUs = table.overheadUs + baseLayers.filter((l) => !owner.has(l.layer)).reduce((s, l) => s + l.us, 0);
  return { fixedUs, dims };
}
