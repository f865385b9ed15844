// Making tensors: from host data, constants, ranges and seeded random draws.
import { native } from './binding';
import { arrayForDtype, dtypeOfArray, type DType, type TypedArray } from './dtype';
import { Tensor } from './tensor';

export interface CreateOptions {
  dtype?: DType;
  device?: string;
}

let defaultDevice = 'cpu';
/** The device new tensors go to when none is named ('cpu', 'cuda', 'cuda:1'). */
export function setDefaultDevice(device: string): void {
  defaultDevice = device;
}
export function getDefaultDevice(): string {
  return defaultDevice;
}

/**
 * A tensor from host data. Typed arrays keep their dtype unless one is given; plain number
 * arrays default to float32. The shape defaults to 1-D.
 */
export function tensor(data: TypedArray | ArrayLike<number>, shape?: number[], opts: CreateOptions = {}): Tensor {
  const isTyped = ArrayBuffer.isView(data);
  const dtype = opts.dtype ?? (isTyped ? dtypeOfArray(data as TypedArray) : 'float32');
  let buf: TypedArray;
  if (isTyped && dtypeOfArray(data as TypedArray) === dtype) buf = data as TypedArray;
  else if (isTyped && data instanceof BigInt64Array) buf = arrayForDtype(Array.from(data, Number), dtype);
  else buf = arrayForDtype(data as ArrayLike<number>, dtype);
  const dims = shape ?? [buf.length];
  return Tensor.wrap(native.fromBuffer(buf, dims, dtype, opts.device ?? defaultDevice), 'tensor');
}

/** A 0-d tensor. */
export function scalar(value: number, opts: CreateOptions = {}): Tensor {
  return full([], value, opts);
}

export function full(shape: number[], value: number, opts: CreateOptions = {}): Tensor {
  return Tensor.wrap(native.full(shape, value, opts.dtype ?? 'float32', opts.device ?? defaultDevice), 'full');
}
export function zeros(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}
/** Uniform on [0, 1). Seeded by manualSeed. */
export function rand(shape: number[], opts: CreateOptions = {}): Tensor {
  return Tensor.wrap(native.rand(shape, opts.dtype ?? 'float32', opts.device ?? defaultDevice), 'rand');
}
/** Standard normal. Seeded by manualSeed. */
export function randn(shape: number[], opts: CreateOptions = {}): Tensor {
  return Tensor.wrap(native.randn(shape, opts.dtype ?? 'float32', opts.device ?? defaultDevice), 'randn');
}
/** Integers in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: CreateOptions = {}): Tensor {
  return Tensor.wrap(native.randint(low, high, shape, opts.dtype ?? 'int64', opts.device ?? defaultDevice), 'randint');
}
export function randperm(n: number, opts: CreateOptions = {}): Tensor {
  return Tensor.wrap(native.randperm(n, opts.dtype ?? 'int64', opts.device ?? defaultDevice), 'randperm');
}
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  // As PyTorch: integers give int64, any fractional bound or step gives float32.
  const dtype = opts.dtype ?? ([s, e, step].every(Number.isInteger) ? 'int64' : 'float32');
  return Tensor.wrap(native.arange(s, e, step, dtype, opts.device ?? defaultDevice), 'arange');
}
/** Draws 0/1 with the probabilities in p. */
export function bernoulli(p: Tensor): Tensor {
  return Tensor.wrap(native.bernoulli(p.handle), 'bernoulli');
}
/** Standard Gumbel noise -log(-log(u)), u ~ U(0, 1), kept finite. */
export function gumbel(shape: number[], opts: CreateOptions = {}): Tensor {
  const u = rand(shape, opts);
  const g = u
    .clamp(1e-10, 1 - 1e-7)
    .log()
    .neg()
    .log()
    .neg();
  return g;
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return Tensor.wrap(
    native.cat(
      tensors.map((t) => t.handle),
      dim,
    ),
    'cat',
  );
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return Tensor.wrap(
    native.stack(
      tensors.map((t) => t.handle),
      dim,
    ),
    'stack',
  );
}
/** Elementwise cond ? a : b. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return Tensor.wrap(native.where(cond.handle, a.handle, b.handle), 'where');
}

/** Seeds libtorch's default generator (all random draws above, dropout, init). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
