// How each module of a built network becomes ONNX nodes: one exporter per module class, each
// mirroring that module's forward() on values (name + shape). Composite modules export their
// children through the context, so a new composite (a sum of branches: export each branch from
// the same input, then Add) is one more entry in EXPORTERS. Weights are read to the host once;
// nothing here makes engine tensors.
import { InvertedResidual } from '../blocks/invertedResidual';
import { BranchAdd, MultiBranch } from '../blocks/multiBranch';
import { formatOp } from '../blocks/opName';
import { ConvBnAct, MbPool, Skip } from '../blocks/simpleBlocks';
import { Network } from '../builder/buildNetwork';
import type { Tensor } from '../engine/tensor';
import { Activation, BatchNorm2d, ChannelShuffle, Conv2d, Dropout, DropPath, GlobalAvgPool, Linear } from '../nn';
import { Sequential } from '../nn/containers';
import type { Module } from '../nn/module';
import { SqueezeExcite } from '../nn/squeezeExcite';
import type { OnnxGraph } from './onnxGraph';

/** A value of the graph: its name and its shape without the batch dimension. */
export interface Value {
  name: string;
  shape: number[];
}

export interface ExportContext {
  graph: OnnxGraph;
  /** Exports a child module on a value; `path` is the child's dotted name in the network. */
  exportChild(module: Module, x: Value, path: string): Value;
}

export type ModuleExporter<M extends Module> = (m: M, x: Value, path: string, ctx: ExportContext) => Value;

export type AnyExporter = ModuleExporter<Module>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModuleClass<M extends Module> = abstract new (...args: any[]) => M;

/** Exporters by exact class (a subclass, e.g. a supernet, changes forward() and needs its own). */
const EXPORTERS = new Map<ModuleClass<Module>, AnyExporter>();

/** Registers the exporter of a module class. */
export function registerExporter<M extends Module>(cls: ModuleClass<M>, fn: ModuleExporter<M>): void {
  EXPORTERS.set(cls, fn as AnyExporter);
}

export function exporterOf(m: Module, path: string): AnyExporter {
  const fn = EXPORTERS.get(m.constructor as ModuleClass<Module>);
  if (!fn)
    throw new Error(
      `cannot export module '${path || '(root)'}' of class ${m.constructor.name} to ONNX: no exporter is registered for it ` +
        `(exportable: ${[...EXPORTERS.keys()].map((c) => c.name).join(', ')}); add one with registerExporter in src/export/moduleExporters.ts`,
    );
  return fn;
}

/** A float32 host copy of a parameter or buffer. */
export function hostFloats(t: Tensor): Float32Array {
  const d = t.dataSync();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

const join = (path: string, child: string) => (path ? `${path}.${child}` : child);
const pairOf = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/**
 * A convolution, with the BatchNorm that follows it either folded into its weight and bias
 * (W * gamma / sqrt(var + eps), (b - mean) * gamma / sqrt(var + eps) + beta) or kept as a
 * BatchNormalization node, as the graph's options say.
 */
export function convBn(
  ctx: ExportContext,
  conv: Conv2d,
  bn: BatchNorm2d | null,
  x: Value,
  path: string,
  bnPath: string,
): Value {
  const g = ctx.graph;
  let w = hostFloats(conv.weight);
  let b: Float32Array | null = conv.bias ? hostFloats(conv.bias) : null;
  const fold = bn !== null && g.options.foldBatchNorm;
  if (fold) {
    const gamma = hostFloats(bn.weight);
    const beta = hostFloats(bn.bias);
    const mean = hostFloats(bn.runningMean);
    const variance = hostFloats(bn.runningVar);
    const per = w.length / conv.outChannels;
    const fw = new Float32Array(w.length);
    const fb = new Float32Array(conv.outChannels);
    for (let o = 0; o < conv.outChannels; o++) {
      const scale = gamma[o]! / Math.sqrt(variance[o]! + bn.eps);
      for (let i = o * per; i < (o + 1) * per; i++) fw[i] = w[i]! * scale;
      fb[o] = ((b ? b[o]! : 0) - mean[o]!) * scale + beta[o]!;
    }
    w = fw;
    b = fb;
  }
  const [kh, kw] = pairOf(conv.kernelSize);
  const [sh, sw] = pairOf(conv.stride);
  const [ph, pw] = pairOf(conv.padding);
  const [dh, dw] = pairOf(conv.dilation);
  const inputs = [x.name, g.weight(`${path}.weight`, w, [conv.outChannels, conv.inChannels / conv.groups, kh, kw])];
  if (b) inputs.push(g.weight(`${fold ? bnPath : path}.bias`, b, [conv.outChannels]));
  const out = (size: number, k: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  let y: Value = {
    name: g.node('Conv', inputs, path, {
      kernel_shape: [kh, kw],
      strides: [sh, sw],
      pads: [ph, pw, ph, pw],
      dilations: [dh, dw],
      group: conv.groups,
    }),
    shape: [conv.outChannels, out(x.shape[1]!, kh, sh, ph, dh), out(x.shape[2]!, kw, sw, pw, dw)],
  };
  if (bn && !fold) y = batchNormNode(ctx, bn, y, bnPath);
  return y;
}

function batchNormNode(ctx: ExportContext, bn: BatchNorm2d, x: Value, path: string): Value {
  const g = ctx.graph;
  const c = [bn.numFeatures];
  const inputs = [
    x.name,
    g.weight(`${path}.weight`, hostFloats(bn.weight), c),
    g.weight(`${path}.bias`, hostFloats(bn.bias), c),
    g.weight(`${path}.running_mean`, hostFloats(bn.runningMean), c),
    g.weight(`${path}.running_var`, hostFloats(bn.runningVar), c),
  ];
  return { name: g.node('BatchNormalization', inputs, path, { epsilon: { float: bn.eps } }), shape: x.shape };
}

/** torch's hardsigmoid, relu6(x + 3) / 6, is ONNX's HardSigmoid with alpha 1/6, beta 1/2. */
const HARD_SIGMOID = { alpha: { float: 1 / 6 }, beta: { float: 0.5 } };

function activation(ctx: ExportContext, a: Activation, x: Value, path: string): Value {
  const g = ctx.graph;
  const v = (name: string): Value => ({ name, shape: x.shape });
  switch (a.kind) {
    case 'identity':
      return x;
    case 'relu':
      return v(g.node('Relu', [x.name], path));
    case 'relu6':
      return v(g.node('Clip', [x.name, g.scalar(`${path}.min`, 0), g.scalar(`${path}.max`, 6)], path));
    case 'sigmoid':
      return v(g.node('Sigmoid', [x.name], path));
    case 'hsigmoid':
      return v(g.node('HardSigmoid', [x.name], path, HARD_SIGMOID));
    case 'hswish':
      // HardSwish is an operator from opset 14 on; before, x * hardsigmoid(x).
      if (g.options.opset >= 14) return v(g.node('HardSwish', [x.name], path));
      return v(g.node('Mul', [x.name, g.node('HardSigmoid', [x.name], `${path}.gate`, HARD_SIGMOID)], path));
    case 'swish':
      return v(g.node('Mul', [x.name, g.node('Sigmoid', [x.name], `${path}.gate`)], path));
  }
}

function globalPool(ctx: ExportContext, x: Value, path: string): Value {
  return { name: ctx.graph.node('GlobalAveragePool', [x.name], path), shape: [x.shape[0]!, 1, 1] };
}

function add(ctx: ExportContext, a: Value, b: Value, path: string): Value {
  if (a.shape.join('x') !== b.shape.join('x'))
    throw new Error(`internal error: adding values of shapes [${a.shape}] and [${b.shape}] at ${path}`);
  return { name: ctx.graph.node('Add', [a.name, b.name], path), shape: a.shape };
}

// ---- the registered module classes ----------------------------------------------------------------

registerExporter(Sequential, (m, x, path, ctx) =>
  m.children().reduce((h, [name, child]) => ctx.exportChild(child, h, join(path, name)), x),
);
registerExporter(Conv2d, (m, x, path, ctx) => convBn(ctx, m, null, x, path, path));
registerExporter(BatchNorm2d, (m, x, path, ctx) => batchNormNode(ctx, m, x, path));
registerExporter(Activation, (m, x, path, ctx) => activation(ctx, m, x, path));
registerExporter(Dropout, (_m, x) => x); // inference: identity
registerExporter(DropPath, (_m, x) => x);
registerExporter(GlobalAvgPool, (_m, x, path, ctx) => {
  const pooled = globalPool(ctx, x, path);
  return { name: ctx.graph.node('Flatten', [pooled.name], `${path}.flatten`, { axis: 1 }), shape: [x.shape[0]!] };
});
registerExporter(Linear, (m, x, path, ctx) => {
  const g = ctx.graph;
  const inputs = [x.name, g.weight(`${path}.weight`, hostFloats(m.weight), [m.outFeatures, m.inFeatures])];
  if (m.bias) inputs.push(g.weight(`${path}.bias`, hostFloats(m.bias), [m.outFeatures]));
  return { name: g.node('Gemm', inputs, path, { transB: 1 }), shape: [m.outFeatures] };
});
registerExporter(ChannelShuffle, (m, x, path, ctx) => {
  // As channelShuffle: [N, g, C/g, H, W], swap axes 1 and 2, back to [N, C, H, W] (0 keeps the batch).
  const g = ctx.graph;
  const [c, h, w] = x.shape as [number, number, number];
  const split = g.node(
    'Reshape',
    [x.name, g.int64s(`${path}.split`, [0, m.groups, c / m.groups, h, w])],
    `${path}.split`,
  );
  const swapped = g.node('Transpose', [split], `${path}.transpose`, { perm: [0, 2, 1, 3, 4] });
  return { name: g.node('Reshape', [swapped, g.int64s(`${path}.merge`, [0, c, h, w])], path), shape: x.shape };
});
registerExporter(SqueezeExcite, (m, x, path, ctx) => {
  let s = globalPool(ctx, x, `${path}.pool`);
  s = ctx.exportChild(m.convReduce, s, join(path, 'conv_reduce'));
  s = ctx.exportChild(m.act, s, join(path, 'act'));
  s = ctx.exportChild(m.convExpand, s, join(path, 'conv_expand'));
  s = ctx.exportChild(m.gate, s, join(path, 'gate'));
  return { name: ctx.graph.node('Mul', [x.name, s.name], path), shape: x.shape };
});
registerExporter(ConvBnAct, (m, x, path, ctx) =>
  ctx.exportChild(m.act, convBn(ctx, m.conv, m.bn, x, join(path, 'conv'), join(path, 'bn')), join(path, 'act')),
);
registerExporter(Skip, (m, x, path, ctx) => {
  if (!m.conv) return x;
  return ctx.exportChild(m.act!, convBn(ctx, m.conv, m.bn, x, join(path, 'conv'), join(path, 'bn')), join(path, 'act'));
});
registerExporter(InvertedResidual, (m, x, path, ctx) => {
  let h = x;
  if (m.convPw) {
    h = convBn(ctx, m.convPw, m.bn1, h, join(path, 'conv_pw'), join(path, 'bn1'));
    h = ctx.exportChild(m.act1!, h, join(path, 'act1'));
    if (m.shuffle) h = ctx.exportChild(m.shuffle, h, join(path, 'shuffle'));
  }
  h = convBn(ctx, m.convDw, m.bn2, h, join(path, 'conv_dw'), join(path, 'bn2'));
  h = ctx.exportChild(m.act2, h, join(path, 'act2'));
  if (m.se) h = ctx.exportChild(m.se, h, join(path, 'se'));
  h = convBn(ctx, m.convPwl, m.bn3, h, join(path, 'conv_pwl'), join(path, 'bn3'));
  return m.hasResidual ? add(ctx, h, x, join(path, 'add')) : h; // drop_path is the identity in inference
});
registerExporter(MbPool, (m, x, path, ctx) => {
  let h = convBn(ctx, m.convPw, m.bn1, x, join(path, 'conv_pw'), join(path, 'bn1'));
  h = ctx.exportChild(m.act1, h, join(path, 'act1'));
  h = globalPool(ctx, h, join(path, 'pool')); // forward pools to [N, C, 1, 1] without flattening
  h = ctx.exportChild(m.convPwl, h, join(path, 'conv_pwl'));
  return ctx.exportChild(m.act2, h, join(path, 'act2'));
});
registerExporter(MultiBranch, (m, x, path, ctx) => {
  // Every branch on the layer's input, then their outputs summed in branch order (as forward).
  const outs = m.branches.map((b, i) => ctx.exportChild(b, x, join(path, `ops.${formatOp(m.cfg.branches[i]!)}`)));
  return outs.slice(1).reduce((acc, y, i) => add(ctx, acc, y, join(path, `add${i + 1}`)), outs[0]!);
});
registerExporter(BranchAdd, (_m, x, path, ctx) => add(ctx, x, x, path));
registerExporter(Network, (m, x, path, ctx) => {
  let h = ctx.exportChild(m.stem, x, join(path, 'stem'));
  h = ctx.exportChild(m.stages, h, join(path, 'stages'));
  h = ctx.exportChild(m.head, h, join(path, 'head'));
  h = ctx.exportChild(m.pool, h, join(path, 'pool'));
  if (m.dropout) h = ctx.exportChild(m.dropout, h, join(path, 'dropout'));
  return ctx.exportChild(m.classifier, h, join(path, 'classifier'));
});
