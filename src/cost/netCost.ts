// FLOPs (MACs) and parameters of whole networks, from the architecture alone: decode to a
// NetDesc, then sum layerCost over the layers. Fast (no engine, no allocation beyond the
// decoded description) so that searches can call it in their inner loop.
import { decode } from '../space/decode';
import type { Arch, DecodeOptions, NetDesc, Space } from '../space/types';
import { layerCost } from './layerCost';

export interface Cost {
  /** Multiply-accumulates of convolutions and fully connected layers, batch 1. */
  flops: number;
  /** Trainable parameters (BatchNorm weight and bias included, running statistics not). */
  params: number;
}

export interface LayerCostRow {
  name: string;
  op: string;
  /** Input C, H, W. */
  input: [number, number, number];
  output: [number, number, number];
  stride: number;
  flops: number;
  params: number;
}

/** Per-layer costs and shapes: stem, blocks, head, pool, classifier (a LUT's list of keys). */
export function costBreakdown(d: NetDesc): LayerCostRow[] {
  const rows: LayerCostRow[] = [];
  let [c, h, w] = d.input;
  for (const l of [d.stem, ...d.stages.flat(), d.head]) {
    if (l.cin !== c) throw new Error(`${l.name}: expects ${l.cin} input channels, gets ${c}`);
    const r = layerCost(l.cfg, l.cin, l.cout, l.stride, h, w, d.e1FirstConv);
    rows.push({
      name: l.name,
      op: l.op,
      input: [c, h, w],
      output: [l.cout, r.h, r.w],
      stride: l.stride,
      flops: r.macs,
      params: r.params,
    });
    [c, h, w] = [l.cout, r.h, r.w];
  }
  rows.push({ name: 'pool', op: 'pool', input: [c, h, w], output: [c, 1, 1], stride: 1, flops: 0, params: 0 });
  const k = d.classifier;
  rows.push({
    name: 'classifier',
    op: 'linear',
    input: [k.cin, 1, 1],
    output: [k.cout, 1, 1],
    stride: 1,
    flops: k.cin * k.cout,
    params: k.cin * k.cout + (k.bias ? k.cout : 0),
  });
  return rows;
}

/** Total cost of a decoded network (no per-layer rows: the fast path). */
export function netCost(d: NetDesc): Cost {
  let [, h, w] = d.input;
  let flops = 0;
  let params = 0;
  const e1 = d.e1FirstConv;
  const add = (cfg: NetDesc['stem']) => {
    const r = layerCost(cfg.cfg, cfg.cin, cfg.cout, cfg.stride, h, w, e1);
    flops += r.macs;
    params += r.params;
    h = r.h;
    w = r.w;
  };
  add(d.stem);
  for (const st of d.stages) for (const l of st) add(l);
  add(d.head);
  const k = d.classifier;
  flops += k.cin * k.cout;
  params += k.cin * k.cout + (k.bias ? k.cout : 0);
  return { flops, params };
}

/** FLOPs and parameters of an architecture of a space. */
export function archCost(space: Space, arch: Arch, o: DecodeOptions = {}): Cost {
  return netCost(decode(space, arch, o));
}
