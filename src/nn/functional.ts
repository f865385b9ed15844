// Stateless network functions (PyTorch's torch.nn.functional), each one native call or a short
// composition of them.
import { native } from '../engine/binding';
import { bernoulli, full, gumbel } from '../engine/creation';
import { tidy } from '../engine/memory';
import { Tensor } from '../engine/tensor';

export type Pair = number | [number, number];
export type Reduction = 'mean' | 'sum' | 'none';
const pair = (v: Pair): number[] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, o: Conv2dOptions = {}): Tensor {
  return Tensor.wrap(
    native.conv2d(
      x.handle,
      weight.handle,
      bias?.handle ?? null,
      pair(o.stride ?? 1),
      pair(o.padding ?? 0),
      pair(o.dilation ?? 1),
      o.groups ?? 1,
    ),
    'conv2d',
  );
}

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return Tensor.wrap(native.linear(x.handle, weight.handle, bias?.handle ?? null), 'linear');
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch norm; in training mode the running statistics (if given) are updated in place. */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: BatchNormOptions = {},
): Tensor {
  return Tensor.wrap(
    native.batchNorm(
      x.handle,
      o.weight?.handle ?? null,
      o.bias?.handle ?? null,
      runningMean?.handle ?? null,
      runningVar?.handle ?? null,
      o.training ?? false,
      o.momentum ?? 0.1,
      o.eps ?? 1e-5,
    ),
    'batchNorm',
  );
}

export const relu = (x: Tensor) => x.relu();
export const relu6 = (x: Tensor) => x.relu6();
export const hardswish = (x: Tensor) => x.hardswish();
export const hardsigmoid = (x: Tensor) => x.hardsigmoid();
export const sigmoid = (x: Tensor) => x.sigmoid();
export const silu = (x: Tensor) => x.silu();
export const softmax = (x: Tensor, dim: number) => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim: number) => x.logSoftmax(dim);

export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (!training || p === 0) return Tensor.wrap(native.alias(x.handle), 'dropout');
  return Tensor.wrap(native.dropout(x.handle, p, true), 'dropout');
}

/** Stochastic depth: zeroes whole samples with probability p and rescales the survivors. */
export function dropPath(x: Tensor, p: number, training: boolean): Tensor {
  if (!training || p === 0) return Tensor.wrap(native.alias(x.handle), 'dropPath');
  const shape = [x.shape[0]!, ...x.shape.slice(1).map(() => 1)];
  return tidy(() => x.mul(bernoulli(full(shape, 1 - p, { dtype: x.dtype, device: x.device }))).mul(1 / (1 - p)));
}

export function avgPool2d(
  x: Tensor,
  kernel: Pair,
  stride: Pair = kernel,
  padding: Pair = 0,
  ceilMode = false,
  countIncludePad = true,
): Tensor {
  return Tensor.wrap(
    native.avgPool2d(x.handle, pair(kernel), pair(stride), pair(padding), ceilMode, countIncludePad),
    'avgPool2d',
  );
}
export function maxPool2d(
  x: Tensor,
  kernel: Pair,
  stride: Pair = kernel,
  padding: Pair = 0,
  dilation: Pair = 1,
  ceilMode = false,
): Tensor {
  return Tensor.wrap(
    native.maxPool2d(x.handle, pair(kernel), pair(stride), pair(padding), pair(dilation), ceilMode),
    'maxPool2d',
  );
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return Tensor.wrap(native.adaptiveAvgPool2d(x.handle, pair(size)), 'adaptiveAvgPool2d');
}
export function adaptiveMaxPool2d(x: Tensor, size: Pair): Tensor {
  return Tensor.wrap(native.adaptiveMaxPool2d(x.handle, pair(size)), 'adaptiveMaxPool2d');
}
/** Resizes NCHW images to size (bilinear or nearest). */
export function interpolate(
  x: Tensor,
  size: Pair,
  mode: 'bilinear' | 'nearest' = 'bilinear',
  alignCorners = false,
): Tensor {
  return mode === 'nearest'
    ? Tensor.wrap(native.interpolateNearest(x.handle, pair(size)), 'interpolate')
    : Tensor.wrap(native.interpolateBilinear(x.handle, pair(size), alignCorners), 'interpolate');
}

/** Constant padding of the last dims: pads = [left, right, top, bottom, ...] as PyTorch's F.pad. */
export function pad(x: Tensor, pads: number[], value = 0): Tensor {
  return Tensor.wrap(native.pad(x.handle, pads, value), 'pad');
}

/** Channel shuffle (ShuffleNet): view as [N, g, C/g, H, W], swap axes 1 and 2, flatten back. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (c % groups !== 0) throw new Error(`channelShuffle: ${c} channels do not split into ${groups} groups`);
  return tidy(() => {
    const out = x
      .reshape(n, groups, c / groups, h, w)
      .transpose(1, 2)
      .reshape(n, c, h, w);
    // The reshape lays the result out NCHW; keep a channels_last input channels_last, or every
    // later convolution of the network runs on the slow NCHW path (1.9x the latency seen).
    return x.isMemoryFormat('channels_last') ? out.contiguous('channels_last') : out;
  });
}

export interface CrossEntropyOptions {
  labelSmoothing?: number;
  reduction?: Reduction;
}
/** Cross-entropy from logits; target holds class indices (int64) or class probabilities (float). */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return Tensor.wrap(
    native.crossEntropy(logits.handle, target.handle, o.reduction ?? 'mean', o.labelSmoothing ?? 0),
    'crossEntropy',
  );
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return Tensor.wrap(native.mseLoss(input.handle, target.handle, reduction), 'mseLoss');
}
/** Huber loss: 0.5 d^2 when |d| < delta, else delta (|d| - 0.5 delta). */
export function huberLoss(input: Tensor, target: Tensor, delta = 1, reduction: Reduction = 'mean'): Tensor {
  return Tensor.wrap(native.huberLoss(input.handle, target.handle, reduction, delta), 'huberLoss');
}
/** KL(target || input) with input as log-probabilities (PyTorch's kl_div). */
export function klDiv(
  logInput: Tensor,
  target: Tensor,
  reduction: Reduction | 'batchmean' = 'mean',
  logTarget = false,
): Tensor {
  if (reduction === 'batchmean') {
    return tidy(() =>
      Tensor.wrap(native.klDiv(logInput.handle, target.handle, 'sum', logTarget), 'klDiv').div(logInput.shape[0]!),
    );
  }
  return Tensor.wrap(native.klDiv(logInput.handle, target.handle, reduction, logTarget), 'klDiv');
}

/** Gumbel-softmax over the last dim: softmax((logits + g) / tau); hard gives a straight-through one-hot. */
export function gumbelSoftmax(logits: Tensor, tau: number, hard = false): Tensor {
  return tidy(() => {
    const g = gumbel(logits.shape, { dtype: logits.dtype, device: logits.device });
    const soft = logits.add(g).div(tau).softmax(-1);
    if (!hard) return soft;
    // one_hot - soft.detach() + soft: the forward value is one-hot, the gradient the soft sample's.
    const k = logits.shape[logits.rank - 1]!;
    const oneHot = soft.argmax(-1).oneHot(k).to({ dtype: logits.dtype });
    return oneHot.sub(soft.detach()).add(soft);
  });
}
