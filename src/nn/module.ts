// Module: the base of every layer and network. It names its parameters, buffers and children
// (dotted paths, as PyTorch's state_dict), switches train/eval, moves itself between devices
// and memory formats, and saves/loads its state.
import { noGrad } from '../engine/autograd';
import { keep } from '../engine/memory';
import type { DType } from '../engine/dtype';
import type { MemoryFormat, Tensor } from '../engine/tensor';

export abstract class Module {
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Registers a trainable tensor; it is kept out of every memory scope and requires grad. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    keep(t).requiresGrad_(true);
    this.#params.set(name, t);
    return t;
  }
  /** Registers persistent non-trainable state (running statistics, counters). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.#buffers.set(name, t);
    return t;
  }
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  children(): [string, Module][] {
    return [...this.#children.entries()];
  }
  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.#children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#params) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, c] of this.#children) out.push(...c.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#buffers) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, c] of this.#children) out.push(...c.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }
  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.clearGrad();
  }

  /**
   * Moves parameters and buffers in place (their identity, and so optimizer references, stay):
   * a device, a float dtype, or the channels_last layout of 4-D weights (faster convs on CPU).
   */
  to(opts: { device?: string; dtype?: DType; memoryFormat?: MemoryFormat }): this {
    noGrad(() => {
      for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
        const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
        const fmt = opts.memoryFormat && t.rank === 4 ? opts.memoryFormat : undefined;
        const dtype = isFloat ? opts.dtype : undefined;
        if (!fmt && !dtype && !(opts.device && opts.device !== t.device)) continue;
        const moved = t.to({ device: opts.device, dtype, memoryFormat: fmt });
        t.setData_(moved);
        moved.dispose();
      }
    });
    return this;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's tensors. With strict (the default), missing and unexpected
   * names are errors; shape mismatches always are. The error lists them all.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, strict = true): void {
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [name, t] of own) {
      const s = src.get(name);
      if (!s) {
        if (strict) problems.push(`missing '${name}'`);
      } else if (s.shape.join('x') !== t.shape.join('x')) {
        problems.push(`'${name}' has shape [${s.shape}] but the module expects [${t.shape}]`);
      }
    }
    if (strict) for (const name of src.keys()) if (!own.has(name)) problems.push(`unexpected '${name}'`);
    if (problems.length) {
      const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
      throw new Error(`loadStateDict: ${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}${more}`);
    }
    noGrad(() => {
      for (const [name, t] of own) {
        const s = src.get(name);
        if (!s) continue;
        if (s.dtype === t.dtype) t.copy_(s);
        else {
          const c = s.to({ dtype: t.dtype });
          t.copy_(c);
          c.dispose();
        }
      }
    });
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }
}
