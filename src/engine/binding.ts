// Loads the native addon. When it is missing, says how to build it instead of a bare stack trace
// (the habit of sharp and better-sqlite3).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../packageRoot';

/** An opaque handle to one native tensor (a Napi::External). */
export type Handle = { readonly __tsnasHandle: unique symbol };
export type DTypeName = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
type H = Handle;
type Reduction = 'mean' | 'sum' | 'none';

/** The addon's functions; each is a thin call into ATen (see native/src). */
export interface Native {
  dispose(t: H): void;
  memory(): { liveTensors: number; liveBytes: number };
  info(t: H): { shape: number[]; dtype: DTypeName; device: string };
  requiresGrad(t: H): boolean;
  isMemoryFormat(t: H, format: string): boolean;
  item(t: H): number;
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: DTypeName, device: string): H;
  toBuffer(t: H): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  full(shape: number[], value: number, dtype: DTypeName, device: string): H;
  rand(shape: number[], dtype: DTypeName, device: string): H;
  randn(shape: number[], dtype: DTypeName, device: string): H;
  randint(low: number, high: number, shape: number[], dtype: DTypeName, device: string): H;
  randperm(n: number, dtype: DTypeName, device: string): H;
  arange(start: number, end: number, step: number, dtype: DTypeName, device: string): H;
  bernoulli(p: H): H;
  manualSeed(seed: number): void;
  setRequiresGrad(t: H, on: boolean): void;
  backward(t: H, grad: H | null, retainGraph: boolean): void;
  grad(t: H): H | null;
  clearGrad(t: H): void;
  setData(t: H, src: H): void;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  profilerStart(traceFile: string): void;
  profilerStop(): void;
  runtimeInfo(): {
    torchVersion: string;
    cudaAvailable: boolean;
    cudaDeviceCount: number;
    mkldnn: boolean;
    parallelInfo: string;
    allocator: string;
  };

  add_tt(a: H, b: H, alpha: number): H;
  add_ts(a: H, b: number): H;
  sub_tt(a: H, b: H): H;
  rsub_ts(a: H, b: number): H;
  mul_tt(a: H, b: H): H;
  mul_ts(a: H, b: number): H;
  div_tt(a: H, b: H): H;
  div_ts(a: H, b: number): H;
  pow_ts(a: H, b: number): H;
  pow_tt(a: H, b: H): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  matmul(a: H, b: H): H;
  neg(a: H): H;
  exp(a: H): H;
  log(a: H): H;
  sqrt(a: H): H;
  rsqrt(a: H): H;
  abs(a: H): H;
  sign(a: H): H;
  reciprocal(a: H): H;
  tanh(a: H): H;
  floor(a: H): H;
  isfinite(a: H): H;
  clamp(a: H, min: number | null, max: number | null): H;
  where(cond: H, a: H, b: H): H;
  eq_tt(a: H, b: H): H;
  eq_ts(a: H, b: number): H;
  ne_ts(a: H, b: number): H;
  lt_tt(a: H, b: H): H;
  lt_ts(a: H, b: number): H;
  le_ts(a: H, b: number): H;
  gt_tt(a: H, b: H): H;
  gt_ts(a: H, b: number): H;
  ge_ts(a: H, b: number): H;
  sum(a: H, dims: number[], keepdim: boolean): H;
  mean(a: H, dims: number[], keepdim: boolean): H;
  amax(a: H, dims: number[], keepdim: boolean): H;
  amin(a: H, dims: number[], keepdim: boolean): H;
  norm(a: H, p: number): H;
  var(a: H, dims: number[], unbiased: boolean, keepdim: boolean): H;
  argmax(a: H, dim: number, keepdim: boolean): H;
  argmin(a: H, dim: number, keepdim: boolean): H;
  cumsum(a: H, dim: number): H;
  topk(a: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  reshape(a: H, shape: number[]): H;
  permute(a: H, dims: number[]): H;
  transpose(a: H, d0: number, d1: number): H;
  flatten(a: H, start: number, end: number): H;
  squeeze(a: H, dim: number): H;
  unsqueeze(a: H, dim: number): H;
  expand(a: H, shape: number[]): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  slice(a: H, dim: number, start: number, end: number, step: number): H;
  select(a: H, dim: number, index: number): H;
  indexSelect(a: H, dim: number, index: H): H;
  gather(a: H, dim: number, index: H): H;
  flip(a: H, dims: number[]): H;
  oneHot(a: H, classes: number): H;
  contiguous(a: H, format: string): H;
  toMemoryFormat(a: H, format: string): H;
  toDtype(a: H, dtype: DTypeName): H;
  toDevice(a: H, device: string): H;
  clone(a: H): H;
  detach(a: H): H;
  zerosLike(a: H): H;
  onesLike(a: H): H;
  alias(a: H): H;
  add_(a: H, b: H, alpha: number): void;
  addScalar_(a: H, b: number): void;
  mul_(a: H, b: H): void;
  mulScalar_(a: H, b: number): void;
  div_(a: H, b: H): void;
  addcmul_(a: H, t1: H, t2: H, value: number): void;
  addcdiv_(a: H, t1: H, t2: H, value: number): void;
  lerp_(a: H, end: H, weight: number): void;
  copy_(a: H, src: H): void;
  fill_(a: H, v: number): void;
  zero_(a: H): void;
  sqrt_(a: H): void;
  clampMin_(a: H, min: number): void;

  conv2d(x: H, w: H, b: H | null, stride: number[], padding: number[], dilation: number[], groups: number): H;
  linear(x: H, w: H, b: H | null): H;
  batchNorm(
    x: H,
    w: H | null,
    b: H | null,
    rm: H | null,
    rv: H | null,
    training: boolean,
    momentum: number,
    eps: number,
  ): H;
  relu(x: H): H;
  hardtanh(x: H, min: number, max: number): H;
  hardswish(x: H): H;
  hardsigmoid(x: H): H;
  sigmoid(x: H): H;
  silu(x: H): H;
  gelu(x: H): H;
  softmax(x: H, dim: number): H;
  logSoftmax(x: H, dim: number): H;
  dropout(x: H, p: number, train: boolean): H;
  avgPool2d(x: H, k: number[], s: number[], p: number[], ceil: boolean, countIncludePad: boolean): H;
  maxPool2d(x: H, k: number[], s: number[], p: number[], d: number[], ceil: boolean): H;
  adaptiveAvgPool2d(x: H, size: number[]): H;
  adaptiveMaxPool2d(x: H, size: number[]): H;
  interpolateBilinear(x: H, size: number[], alignCorners: boolean): H;
  interpolateNearest(x: H, size: number[]): H;
  pad(x: H, pads: number[], value: number): H;
  crossEntropy(logits: H, target: H, reduction: Reduction, labelSmoothing: number): H;
  mseLoss(a: H, b: H, reduction: Reduction): H;
  huberLoss(a: H, b: H, reduction: Reduction, delta: number): H;
  klDiv(a: H, b: H, reduction: Reduction, logTarget: boolean): H;
}

const candidates = ['build/Release/tsnas_native.node', 'build/Debug/tsnas_native.node'];

function load(): Native {
  const root = packageRoot();
  const tried: string[] = [];
  for (const rel of candidates) {
    const file = path.join(root, 'native', rel);
    tried.push(file);
    if (fs.existsSync(file)) {
      try {
        return require(file) as Native;
      } catch (err) {
        throw new Error(
          `tsnas: the native addon at ${file} failed to load: ${(err as Error).message}\n` +
            'If libtorch was upgraded or moved, rebuild it: npm rebuild tsnas (installed from npm) or ' +
            "npm run build:native (a clone); set TSNAS_LIBTORCH for a libtorch outside Debian's paths.",
          { cause: err },
        );
      }
    }
  }
  throw new Error(
    'tsnas: the native addon is not built. Tried:\n  ' +
      tried.join('\n  ') +
      "\nBuild it: npm rebuild tsnas (tsnas installed from npm; needs libtorch: Debian's libtorch-dev, or " +
      'TSNAS_LIBTORCH=/path/to/libtorch), or in a clone of tsnas: bash scripts/setup.sh',
  );
}

export const native: Native = load();
