// The Tensor: a handle to a native libtorch tensor, owned by a memory scope, with a
// PyTorch-shaped method surface. Methods make new tensors; names ending in _ update in place.
import { native, type Handle } from './binding';
import { type DType, type TypedArray } from './dtype';
import { Tracked, track } from './memory';

export type MemoryFormat = 'contiguous' | 'channels_last';
export type Scalar = number;

export class Tensor extends Tracked {
  #handle: Handle | null;
  #info: { shape: number[]; dtype: DType; device: string } | null = null;
  /** The op that made this tensor, for error messages. */
  readonly origin: string;

  /** Wraps a native handle; the innermost memory scope takes ownership. */
  static wrap(handle: Handle, origin: string): Tensor {
    return track(new Tensor(handle, origin));
  }

  private constructor(handle: Handle, origin: string) {
    super();
    this.#handle = handle;
    this.origin = origin;
  }

  /** The native handle; throws a clear error once disposed. */
  get handle(): Handle {
    if (this.#handle === null) {
      throw new Error(
        `Tensor (made by ${this.origin}) was disposed and cannot be used. ` +
          'Keep it with keep(t), or return it from the tidy() that made it.',
      );
    }
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the native memory now. Safe to call twice. */
  dispose(): void {
    if (this.#handle === null) return;
    native.dispose(this.#handle);
    this.#handle = null;
  }

  private get meta() {
    return (this.#info ??= native.info(this.handle));
  }
  get shape(): number[] {
    return this.meta.shape.slice();
  }
  get dtype(): DType {
    return this.meta.dtype;
  }
  get device(): string {
    return this.meta.device;
  }
  get rank(): number {
    return this.meta.shape.length;
  }
  get size(): number {
    return this.meta.shape.reduce((a, b) => a * b, 1);
  }
  isMemoryFormat(format: MemoryFormat): boolean {
    return native.isMemoryFormat(this.handle, format);
  }

  // ---- host data ------------------------------------------------------------------------
  /** A host copy in the typed array of the dtype (bool as Uint8Array, int64 as BigInt64Array). */
  dataSync(): TypedArray {
    return native.toBuffer(this.handle);
  }
  /** A host copy as plain numbers (int64 converted). */
  toArray(): number[] {
    const d = this.dataSync();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  item(): number {
    return native.item(this.handle);
  }
  override toString(): string {
    const vals = this.size <= 16 ? ` ${JSON.stringify(this.toArray())}` : '';
    return `Tensor(${this.shape.join('x') || 'scalar'}, ${this.dtype}, ${this.device})${vals}`;
  }

  // ---- autograd ---------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** Accumulates gradients into the leaves; with no argument this must be a scalar. */
  backward(grad?: Tensor, retainGraph = false): void {
    native.backward(this.handle, grad ? grad.handle : null, retainGraph);
  }
  /** The accumulated gradient (a new handle on the same storage), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g ? Tensor.wrap(g, 'grad') : null;
  }
  /** Drops the accumulated gradient (PyTorch's zero_grad(set_to_none=True)). */
  clearGrad(): void {
    native.clearGrad(this.handle);
  }
  detach(): Tensor {
    return Tensor.wrap(native.detach(this.handle), 'detach');
  }
  /** Keeps this tensor's identity but replaces its data (device or layout changes of parameters). */
  setData_(src: Tensor): this {
    native.setData(this.handle, src.handle);
    this.#info = null;
    return this;
  }

  // ---- arithmetic (broadcasting) -----------------------------------------------------------
  add(other: Tensor | Scalar, alpha = 1): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.add_ts(this.handle, other * alpha), 'add')
      : Tensor.wrap(native.add_tt(this.handle, other.handle, alpha), 'add');
  }
  sub(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.add_ts(this.handle, -other), 'sub')
      : Tensor.wrap(native.sub_tt(this.handle, other.handle), 'sub');
  }
  /** other - this */
  rsub(other: Scalar): Tensor {
    return Tensor.wrap(native.rsub_ts(this.handle, other), 'rsub');
  }
  mul(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.mul_ts(this.handle, other), 'mul')
      : Tensor.wrap(native.mul_tt(this.handle, other.handle), 'mul');
  }
  div(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.div_ts(this.handle, other), 'div')
      : Tensor.wrap(native.div_tt(this.handle, other.handle), 'div');
  }
  pow(exponent: Tensor | Scalar): Tensor {
    return typeof exponent === 'number'
      ? Tensor.wrap(native.pow_ts(this.handle, exponent), 'pow')
      : Tensor.wrap(native.pow_tt(this.handle, exponent.handle), 'pow');
  }
  maximum(other: Tensor): Tensor {
    return Tensor.wrap(native.maximum(this.handle, other.handle), 'maximum');
  }
  minimum(other: Tensor): Tensor {
    return Tensor.wrap(native.minimum(this.handle, other.handle), 'minimum');
  }
  matmul(other: Tensor): Tensor {
    return Tensor.wrap(native.matmul(this.handle, other.handle), 'matmul');
  }
  neg(): Tensor {
    return Tensor.wrap(native.neg(this.handle), 'neg');
  }
  exp(): Tensor {
    return Tensor.wrap(native.exp(this.handle), 'exp');
  }
  log(): Tensor {
    return Tensor.wrap(native.log(this.handle), 'log');
  }
  sqrt(): Tensor {
    return Tensor.wrap(native.sqrt(this.handle), 'sqrt');
  }
  rsqrt(): Tensor {
    return Tensor.wrap(native.rsqrt(this.handle), 'rsqrt');
  }
  abs(): Tensor {
    return Tensor.wrap(native.abs(this.handle), 'abs');
  }
  sign(): Tensor {
    return Tensor.wrap(native.sign(this.handle), 'sign');
  }
  reciprocal(): Tensor {
    return Tensor.wrap(native.reciprocal(this.handle), 'reciprocal');
  }
  tanh(): Tensor {
    return Tensor.wrap(native.tanh(this.handle), 'tanh');
  }
  floor(): Tensor {
    return Tensor.wrap(native.floor(this.handle), 'floor');
  }
  isfinite(): Tensor {
    return Tensor.wrap(native.isfinite(this.handle), 'isfinite');
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return Tensor.wrap(native.clamp(this.handle, min ?? null, max ?? null), 'clamp');
  }

  // ---- activations ---------------------------------------------------------------------------
  relu(): Tensor {
    return Tensor.wrap(native.relu(this.handle), 'relu');
  }
  relu6(): Tensor {
    return Tensor.wrap(native.hardtanh(this.handle, 0, 6), 'relu6');
  }
  hardswish(): Tensor {
    return Tensor.wrap(native.hardswish(this.handle), 'hardswish');
  }
  hardsigmoid(): Tensor {
    return Tensor.wrap(native.hardsigmoid(this.handle), 'hardsigmoid');
  }
  sigmoid(): Tensor {
    return Tensor.wrap(native.sigmoid(this.handle), 'sigmoid');
  }
  silu(): Tensor {
    return Tensor.wrap(native.silu(this.handle), 'silu');
  }
  softmax(dim: number): Tensor {
    return Tensor.wrap(native.softmax(this.handle, dim), 'softmax');
  }
  logSoftmax(dim: number): Tensor {
    return Tensor.wrap(native.logSoftmax(this.handle, dim), 'logSoftmax');
  }

  // ---- comparisons (bool results) -----------------------------------------------------------
  eq(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.eq_ts(this.handle, other), 'eq')
      : Tensor.wrap(native.eq_tt(this.handle, other.handle), 'eq');
  }
  ne(other: Scalar): Tensor {
    return Tensor.wrap(native.ne_ts(this.handle, other), 'ne');
  }
  lt(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.lt_ts(this.handle, other), 'lt')
      : Tensor.wrap(native.lt_tt(this.handle, other.handle), 'lt');
  }
  le(other: Scalar): Tensor {
    return Tensor.wrap(native.le_ts(this.handle, other), 'le');
  }
  gt(other: Tensor | Scalar): Tensor {
    return typeof other === 'number'
      ? Tensor.wrap(native.gt_ts(this.handle, other), 'gt')
      : Tensor.wrap(native.gt_tt(this.handle, other.handle), 'gt');
  }
  ge(other: Scalar): Tensor {
    return Tensor.wrap(native.ge_ts(this.handle, other), 'ge');
  }

  // ---- reductions ----------------------------------------------------------------------------
  sum(dims: number | number[] = [], keepdim = false): Tensor {
    return Tensor.wrap(native.sum(this.handle, toDims(dims), keepdim), 'sum');
  }
  mean(dims: number | number[] = [], keepdim = false): Tensor {
    return Tensor.wrap(native.mean(this.handle, toDims(dims), keepdim), 'mean');
  }
  /** Maximum values over dims (all when none). */
  max(dims: number | number[] = [], keepdim = false): Tensor {
    return Tensor.wrap(native.amax(this.handle, toDims(dims), keepdim), 'max');
  }
  min(dims: number | number[] = [], keepdim = false): Tensor {
    return Tensor.wrap(native.amin(this.handle, toDims(dims), keepdim), 'min');
  }
  norm(p = 2): Tensor {
    return Tensor.wrap(native.norm(this.handle, p), 'norm');
  }
  var(dims: number | number[], unbiased = true, keepdim = false): Tensor {
    return Tensor.wrap(native.var(this.handle, toDims(dims), unbiased, keepdim), 'var');
  }
  argmax(dim: number, keepdim = false): Tensor {
    return Tensor.wrap(native.argmax(this.handle, dim, keepdim), 'argmax');
  }
  argmin(dim: number, keepdim = false): Tensor {
    return Tensor.wrap(native.argmin(this.handle, dim, keepdim), 'argmin');
  }
  cumsum(dim: number): Tensor {
    return Tensor.wrap(native.cumsum(this.handle, dim), 'cumsum');
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest, sorted);
    return { values: Tensor.wrap(v, 'topk'), indices: Tensor.wrap(i, 'topk') };
  }

  // ---- shape and layout ----------------------------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor {
    return Tensor.wrap(native.reshape(this.handle, flatShape(shape)), 'reshape');
  }
  permute(...dims: number[] | [number[]]): Tensor {
    return Tensor.wrap(native.permute(this.handle, flatShape(dims)), 'permute');
  }
  transpose(d0: number, d1: number): Tensor {
    return Tensor.wrap(native.transpose(this.handle, d0, d1), 'transpose');
  }
  flatten(start = 0, end = -1): Tensor {
    return Tensor.wrap(native.flatten(this.handle, start, end), 'flatten');
  }
  squeeze(dim: number): Tensor {
    return Tensor.wrap(native.squeeze(this.handle, dim), 'squeeze');
  }
  unsqueeze(dim: number): Tensor {
    return Tensor.wrap(native.unsqueeze(this.handle, dim), 'unsqueeze');
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return Tensor.wrap(native.expand(this.handle, flatShape(shape)), 'expand');
  }
  /** Elements start <= i < end (step) along dim; end defaults to the whole dimension. */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    const stop = end ?? Number.MAX_SAFE_INTEGER;
    return Tensor.wrap(native.slice(this.handle, dim, start, stop, step), 'slice');
  }
  select(dim: number, index: number): Tensor {
    return Tensor.wrap(native.select(this.handle, dim, index), 'select');
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return Tensor.wrap(native.indexSelect(this.handle, dim, index.handle), 'indexSelect');
  }
  gather(dim: number, index: Tensor): Tensor {
    return Tensor.wrap(native.gather(this.handle, dim, index.handle), 'gather');
  }
  flip(dims: number | number[]): Tensor {
    return Tensor.wrap(native.flip(this.handle, toDims(dims)), 'flip');
  }
  oneHot(classes: number): Tensor {
    return Tensor.wrap(native.oneHot(this.handle, classes), 'oneHot');
  }
  contiguous(format: MemoryFormat = 'contiguous'): Tensor {
    return Tensor.wrap(native.contiguous(this.handle, format), 'contiguous');
  }
  /**
   * Converts dtype, device and/or memory format. The memory format is applied to the strides even
   * when the layout is ambiguous (size-1 channels), as PyTorch's `.to(memory_format=...)`.
   */
  to(opts: { dtype?: DType; device?: string; memoryFormat?: MemoryFormat }): Tensor {
    let h = this.handle;
    const made: Handle[] = [];
    if (opts.dtype && opts.dtype !== this.dtype) made.push((h = native.toDtype(h, opts.dtype)));
    if (opts.device && opts.device !== this.device) made.push((h = native.toDevice(h, opts.device)));
    if (opts.memoryFormat) made.push((h = native.toMemoryFormat(h, opts.memoryFormat)));
    for (const m of made.slice(0, -1)) native.dispose(m);
    return Tensor.wrap(made.length ? h : native.alias(h), 'to');
  }
  float(): Tensor {
    return this.to({ dtype: 'float32' });
  }
  long(): Tensor {
    return this.to({ dtype: 'int64' });
  }
  clone(): Tensor {
    return Tensor.wrap(native.clone(this.handle), 'clone');
  }
  zerosLike(): Tensor {
    return Tensor.wrap(native.zerosLike(this.handle), 'zerosLike');
  }
  onesLike(): Tensor {
    return Tensor.wrap(native.onesLike(this.handle), 'onesLike');
  }

  // ---- in place (optimizers, EMA, statistics): call under noGrad on leaves -----------------
  add_(other: Tensor | Scalar, alpha = 1): this {
    if (typeof other === 'number') native.addScalar_(this.handle, other * alpha);
    else native.add_(this.handle, other.handle, alpha);
    return this;
  }
  mul_(other: Tensor | Scalar): this {
    if (typeof other === 'number') native.mulScalar_(this.handle, other);
    else native.mul_(this.handle, other.handle);
    return this;
  }
  div_(other: Tensor): this {
    native.div_(this.handle, other.handle);
    return this;
  }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcmul_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    native.addcdiv_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    native.lerp_(this.handle, end.handle, weight);
    return this;
  }
  copy_(src: Tensor): this {
    native.copy_(this.handle, src.handle);
    return this;
  }
  fill_(value: number): this {
    native.fill_(this.handle, value);
    return this;
  }
  zero_(): this {
    native.zero_(this.handle);
    return this;
  }
  sqrt_(): this {
    native.sqrt_(this.handle);
    return this;
  }
  clampMin_(min: number): this {
    native.clampMin_(this.handle, min);
    return this;
  }
}

function toDims(dims: number | number[]): number[] {
  return typeof dims === 'number' ? [dims] : dims;
}

function flatShape(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}
