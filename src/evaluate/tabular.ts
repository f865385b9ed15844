// A tabular evaluator (`table:FILE`): metrics looked up in a JSON object whose keys are
// architecture strings of the study's space (canonical compact strings or per-layer choice
// indices, "0-3-8-...") and whose values are objects of metrics, e.g.
//   { "0-3-8-1-0-2-4-4-8": { "val_acc": 0.912, "test_acc": 0.905, "flops": 3.1e6, "params": 81000 }, ... }
// A mapping renames table fields to the names the study uses (accuracy=val_acc). Fields named
// flops, params and latencyUs (after mapping) are costs: they replace the analytic ones and
// constraints use them. An architecture missing from the table fails its trial. A top-level key
// "$meta" (how the table was made: budget, command) is not an architecture and is skipped.
import { z } from 'zod';
import { readDataFile } from '../io/readDataFile';
import { formatArch, formatIndices, acceptsIndices, parseArch } from '../space/archFormat';
import type { CostKind, CostMinimum, CostOverride } from '../cost/costModel';
import type { Arch, Space } from '../space/types';
import type { ArchCosts } from '../cost/costModel';
import { EvaluationError, type EvalJob, type EvalResult, type Evaluator } from './evaluator';

/** The one key of a table file that is not an architecture: how the table was made. */
export const META_KEY = '$meta';

const COST_FIELDS: Record<string, keyof ArchCosts> = { flops: 'flops', params: 'params', latencyUs: 'latencyUs' };

export interface TabularEvaluatorOptions {
  /** Study metric name -> table field (e.g. { accuracy: 'val_acc' }). */
  metrics?: Record<string, string>;
}

export interface Table {
  file: string;
  /** Canonical architecture string -> metrics (renamed). */
  rows: Map<string, Record<string, number>>;
  /** Canonical string -> the architecture. */
  archs: Map<string, Arch>;
  fields: string[];
  /** Fields that hold no numbers (notes, names): not metrics. */
  ignored: string[];
}

/** Reads and checks a table for a space; errors name the file, the key and the problem. */
export function loadTable(space: Space, file: string, mapping: Record<string, string> = {}): Table {
  // Only the outer shape here: the keys need the space, so they are checked below, all at once.
  const data = readDataFile(file, z.record(z.string(), z.unknown()), {
    what: 'table',
    format: 'json',
    fix: 'A table is a JSON object: architecture string -> { metric: number, ... } (docs/studies.md).',
  });
  const inverse = new Map<string, string>();
  for (const [name, field] of Object.entries(mapping)) {
    if (inverse.has(field))
      throw new Error(`metric mapping: table field '${field}' is mapped twice (${inverse.get(field)} and ${name})`);
    inverse.set(field, name);
  }
  const rows = new Map<string, Record<string, number>>();
  const archs = new Map<string, Arch>();
  const rawFields = new Set<string>();
  // Fields with values that are not numbers (null, a measurement missing, aside): the first seen.
  const notNumbers = new Map<string, { key: string; value: unknown }>();
  const bad: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === META_KEY) continue;
    let arch: Arch;
    try {
      arch = parseArch(space, key);
    } catch (err) {
      bad.push(`  key '${key}': ${(err as Error).message}`);
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      bad.push(`  key '${key}': the value must be an object of metrics, got ${JSON.stringify(value)}`);
      continue;
    }
    const m: Record<string, number> = {};
    for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'number') {
        if (v !== null && !notNumbers.has(field)) notNumbers.set(field, { key, value: v });
        continue;
      }
      rawFields.add(field);
      const name = inverse.get(field) ?? field;
      if (mapping[field] !== undefined && !inverse.has(field)) continue; // shadowed by a mapped field
      m[name] = v;
    }
    const canonical = formatArch(space, arch);
    const prev = rows.get(canonical);
    if (prev && JSON.stringify(prev) !== JSON.stringify(m)) {
      bad.push(`  key '${key}': the same architecture as another key (${canonical}) with different metrics`);
      continue;
    }
    rows.set(canonical, m);
    archs.set(canonical, arch);
  }
  // A field that is a number in some rows and not in others is a mistake in the table (a quoted
  // number, a word); one that is never a number (a note) is not a metric and is left out.
  const describe = (v: unknown) =>
    `${JSON.stringify(v)} (${Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`})`;
  for (const [field, first] of notNumbers) {
    if (rawFields.has(field))
      bad.unshift(
        `  key '${first.key}': field '${field}' is ${describe(first.value)}, not a number, as it is in other rows; write metrics as numbers (0.91, not "0.91")`,
      );
  }
  if (bad.length) {
    const more = bad.length > 5 ? `\n  ... and ${bad.length - 5} more` : '';
    throw new Error(
      `table ${file} does not fit space '${space.name}' (${bad.length} bad key(s)):\n${bad.slice(0, 5).join('\n')}${more}`,
    );
  }
  if (!rows.size) throw new Error(`table ${file} is empty`);
  const numeric = () =>
    rawFields.size ? `fields with numbers: ${[...rawFields].join(', ')}` : 'no field holds numbers';
  for (const [name, field] of Object.entries(mapping)) {
    if (rawFields.has(field)) continue;
    const nn = notNumbers.get(field);
    throw new Error(
      nn
        ? `metric mapping ${name}=${field}: the field '${field}' of table ${file} holds no numbers (key '${nn.key}': ${describe(nn.value)}); ` +
            'a metric is a number: write 0.91, not "0.91"'
        : `metric mapping ${name}=${field}: table ${file} has no field '${field}' (${numeric()}); name a field the table has`,
    );
  }
  const fields = new Set<string>();
  for (const m of rows.values()) for (const k of Object.keys(m)) fields.add(k);
  return { file, rows, archs, fields: [...fields], ignored: [...notNumbers.keys()] };
}

export function createTabularEvaluator(space: Space, file: string, o: TabularEvaluatorOptions = {}): Evaluator {
  const table = loadTable(space, file, o.metrics);
  const provides: CostKind[] = [];
  const everyRowHas = (f: string) => [...table.rows.values()].every((m) => typeof m[f] === 'number');
  if (everyRowHas('flops')) provides.push('flops');
  if (everyRowHas('params')) provides.push('params');
  if (everyRowHas('latencyUs')) provides.push('latency');
  const costOverride: CostOverride = {
    provides,
    costs(arch: Arch): Partial<ArchCosts> {
      const m = table.rows.get(formatArch(space, arch));
      if (!m) return {};
      const out: Partial<ArchCosts> = {};
      for (const [f, c] of Object.entries(COST_FIELDS)) if (typeof m[f] === 'number') out[c] = m[f];
      return out;
    },
    minimum(kind: CostKind): CostMinimum | null {
      if (!provides.includes(kind)) return null;
      const f = kind === 'latency' ? 'latencyUs' : kind;
      let best: CostMinimum | null = null;
      for (const [k, m] of table.rows)
        if (!best || m[f]! < best.value) best = { value: m[f]!, arch: table.archs.get(k)!, how: 'table' };
      return best;
    },
  };
  return {
    kind: 'table',
    spec: `table:${file}`,
    description:
      `table ${file} (${table.rows.size} architectures; metrics ${table.fields.join(', ') || 'none'}` +
      `${table.ignored.length ? `; fields that are not numbers, not metrics: ${table.ignored.join(', ')}` : ''})`,
    decode: {},
    metrics: table.fields,
    costOverride,
    recipeFor: () => null,
    architectures: () => [...table.archs.values()],
    async evaluate(job: EvalJob): Promise<EvalResult> {
      const m = table.rows.get(job.archText);
      if (!m) {
        const idx = acceptsIndices(space, job.arch) ? ` (indices ${formatIndices(space, job.arch)})` : '';
        throw new EvaluationError(
          `architecture ${job.archText}${idx} is not in table ${file} (${table.rows.size} architectures)`,
        );
      }
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(m)) if (!(k in COST_FIELDS)) metrics[k] = v;
      return { metrics };
    },
  };
}
