// A trial's architecture layer by layer: each layer's op and shapes, its MACs and parameters, and
// its latency from the study's latency table (the per-layer sum the search's latency is), each as
// a share of the network's. Anything missing (a space file moved, no table, a table of another
// space) leaves its columns out and says why, never the page.
import * as fs from 'node:fs';
import { costBreakdown } from '../cost/netCost';
import { predictLatencyBreakdown, readLatencyTable, type LatencyTable } from '../latency/latencyTable';
import { parseArch } from '../space/archFormat';
import { decode } from '../space/decode';
import { loadSpace } from '../space/registry';
import type { Space } from '../space/types';

export interface LayerRow {
  name: string;
  op: string;
  input: [number, number, number];
  output: [number, number, number];
  stride: number;
  flops: number;
  params: number;
  /** From the latency table (every op of the layer), or null without one. */
  latencyUs: number | null;
}

export interface TrialLayers {
  rows: LayerRow[];
  totalFlops: number;
  /** The table's network-level overhead (null: no table). */
  overheadUs: number | null;
  totalUs: number | null;
  input: readonly [number, number, number];
  /** Why a part is missing, for the reader. */
  notes: string[];
}

const spaces = new Map<string, Space>();
const tables = new Map<string, { mtimeMs: number; table: LatencyTable }>();

function spaceOf(nameOrFile: string): Space {
  let s = spaces.get(nameOrFile);
  if (!s) spaces.set(nameOrFile, (s = loadSpace(nameOrFile)));
  return s;
}

/** The table at `file`, read again when the file changed. */
function tableOf(file: string): LatencyTable {
  const mtimeMs = fs.statSync(file).mtimeMs;
  const known = tables.get(file);
  if (known && known.mtimeMs === mtimeMs) return known.table;
  const table = readLatencyTable(file);
  tables.set(file, { mtimeMs, table });
  return table;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The layers of `arch` (of space `space`, a built-in name or a file) with the shares `lut` gives, if any. */
export function trialLayers(space: string, arch: string, lut: string | null): TrialLayers | { error: string } {
  let s: Space;
  try {
    s = spaceOf(space);
  } catch (e) {
    return { error: `the space ${space} could not be read here: ${message(e)}` };
  }
  let a;
  try {
    a = parseArch(s, arch);
  } catch (e) {
    return { error: message(e) };
  }
  const notes: string[] = [];
  let table: LatencyTable | null = null;
  if (!lut) notes.push('the study has no latency table: no latency per layer');
  else {
    try {
      table = tableOf(lut);
    } catch (e) {
      notes.push(`the latency table ${lut} could not be read here: ${message(e)}`);
    }
  }
  const input = table?.input ?? s.input;
  const rows: LayerRow[] = costBreakdown(decode(s, a, { input })).map((r) => ({ ...r, latencyUs: null }));
  let overheadUs: number | null = null;
  let totalUs: number | null = null;
  if (table) {
    try {
      const b = predictLatencyBreakdown(table, s, a);
      const byLayer = new Map<string, number>();
      for (const l of b.layers) byLayer.set(l.layer, (byLayer.get(l.layer) ?? 0) + l.us);
      for (const r of rows) r.latencyUs = byLayer.get(r.name) ?? 0;
      overheadUs = b.overheadUs;
      totalUs = b.totalUs;
    } catch (e) {
      notes.push(`the latency table does not cover this architecture: ${message(e)}`);
    }
  }
  return { rows, totalFlops: rows.reduce((n, r) => n + r.flops, 0), overheadUs, totalUs, input, notes };
}
