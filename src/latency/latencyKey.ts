// Latency table keys: one op at one place in a network, as plain text. Two layers with the same
// key build the same op on the same input shape, so the table times it once. The key holds the
// op config (canonical op name), the input shape, C_in, C_out and stride, plus what else
// changes the op built: the e = 1 reading for ir ops with expansion 1, the bias of a linear.
//   op=ir_k3_e6,in=16x32x32,cin=16,cout=24,s=2
//   op=ir_k3_e1,e1=keep,in=16x32x32,cin=16,cout=16,s=1
//   op=linear,bias=1,in=256x1x1,cin=256,cout=10,s=1
// A multi-branch layer (ir_k3_e3+ir_k5_e1) has no key of its own: its latency is the sum of its
// branches' keys (each the key the same op has as a single op at that layer) plus one `add` per
// extra branch, keyed by the summed tensor's shape:
//   op=add,in=24x16x16,cin=24,cout=24,s=1
import { formatOp, parseOp } from '../blocks/opName';
import type { LayerCostRow } from '../cost/netCost';
import type { NetDesc } from '../space/types';
import type { OpSpec } from './target';

export function latencyKey(s: OpSpec): string {
  const parts = [`op=${s.op}`];
  if (s.e1FirstConv) parts.push(`e1=${s.e1FirstConv}`);
  if (s.bias !== undefined) parts.push(`bias=${s.bias ? 1 : 0}`);
  parts.push(`in=${s.input.join('x')}`, `cin=${s.cin}`, `cout=${s.cout}`, `s=${s.stride}`);
  return parts.join(',');
}

/** The op of the add that joins two branch outputs (a latency table entry; not a layer's op). */
export const ADD_OP = 'add';

/**
 * The op specs a costBreakdown row is timed as: its own, or for a multi-branch layer each branch's
 * (as a single op at that layer) and branches - 1 adds of the output shape.
 */
export function opSpecsOfRow(row: LayerCostRow, d: NetDesc): OpSpec[] {
  const cfg = parseOp(row.op);
  if (cfg.type !== 'multi') return [opSpecOfRow(row, d)];
  const specs = cfg.branches.map((b) => opSpecOfRow({ ...row, op: formatOp(b) }, d));
  const [c, h, w] = row.output;
  for (let i = 1; i < cfg.branches.length; i++)
    specs.push({ op: ADD_OP, input: [c, h, w], cin: c, cout: c, stride: 1 });
  return specs;
}

/** The op spec of one costBreakdown row of a decoded network (a single op). */
export function opSpecOfRow(row: LayerCostRow, d: NetDesc): OpSpec {
  const spec: OpSpec = {
    op: row.op,
    input: [row.input[0], row.input[1], row.input[2]],
    cin: row.input[0],
    cout: row.output[0],
    stride: row.stride,
  };
  if (row.op === 'linear') {
    spec.bias = d.classifier.bias;
  } else if (isIrE1(row.op)) {
    spec.e1FirstConv = d.e1FirstConv;
  }
  return spec;
}

const irE1 = new Map<string, boolean>();
function isIrE1(op: string): boolean {
  let v = irE1.get(op);
  if (v === undefined) {
    const cfg = parseOp(op);
    v = cfg.type === 'ir' && cfg.expansion === 1;
    irE1.set(op, v);
  }
  return v;
}
