// The optimizer base: parameter groups with their own hyper-parameters, per-parameter state
// tensors, and a state dict so a checkpoint can resume exactly. Updates run in place under noGrad.
import { noGrad } from '../engine/autograd';
import { keep, tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  weightDecay: number;
  [option: string]: unknown;
}

export type ParamState = Record<string, Tensor>;

/** The JSON half of an optimizer's state dict. */
export interface OptimizerMeta {
  stepCount: number;
  groups: Array<Record<string, unknown>>;
  paramSteps: number[][];
}

export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  readonly groups: G[];
  /** Per-parameter state tensors (momentum buffers, averages). */
  protected readonly state = new Map<Tensor, ParamState>();
  /** Steps taken by the optimizer. */
  stepCount = 0;
  /** Updates each parameter received: a parameter without a gradient in a step is untouched. */
  protected readonly paramSteps = new Map<Tensor, number>();

  protected constructor(params: Tensor[] | Array<Partial<G> & { params: Tensor[] }>, defaults: Omit<G, 'params'>) {
    const groups =
      params.length && !('params' in (params[0] as object))
        ? [{ params: params as Tensor[] }]
        : (params as Array<Partial<G> & { params: Tensor[] }>);
    this.groups = groups.map((g) => ({ ...defaults, ...g }) as G);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const group of this.groups) {
        for (const p of group.params) {
          tidy(() => {
            const g = p.grad;
            if (!g) return;
            const n = (this.paramSteps.get(p) ?? 0) + 1;
            this.paramSteps.set(p, n);
            this.update(p, g, group, this.stateOf(p), n);
          });
        }
      }
    });
  }

  /** Updates p in place; `step` counts this parameter's own updates, from 1. */
  protected abstract update(p: Tensor, grad: Tensor, group: G, state: ParamState, step: number): void;

  /** Creates a state tensor once (kept out of scopes) and returns it afterwards. */
  protected buffer(state: ParamState, name: string, init: () => Tensor): Tensor {
    return (state[name] ??= keep(init()));
  }

  private stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.clearGrad();
  }

  setLearningRate(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  /** State tensors named `<group>.<index>.<name>` plus the JSON-able hyper-parameters. */
  stateDict(): { tensors: Map<string, Tensor>; meta: OptimizerMeta } {
    const tensors = new Map<string, Tensor>();
    this.groups.forEach((g, gi) =>
      g.params.forEach((p, pi) => {
        for (const [name, t] of Object.entries(this.state.get(p) ?? {})) tensors.set(`${gi}.${pi}.${name}`, t);
      }),
    );
    const groups = this.groups.map(({ params: _p, ...rest }) => rest);
    const paramSteps = this.groups.map((g) => g.params.map((p) => this.paramSteps.get(p) ?? 0));
    return { tensors, meta: { stepCount: this.stepCount, groups, paramSteps } };
  }

  /** Restores a stateDict taken from an optimizer over the same parameters. Copies the tensors. */
  loadStateDict(sd: { tensors: Map<string, Tensor>; meta: OptimizerMeta }): void {
    if (sd.meta.groups.length !== this.groups.length) {
      throw new Error(
        `optimizer state has ${sd.meta.groups.length} parameter groups, this optimizer ${this.groups.length}`,
      );
    }
    // Validate everything before changing anything, so a rejected state leaves this optimizer as it was.
    const targets = new Map<string, [Tensor, string]>();
    for (const [key, t] of sd.tensors) {
      const [gi, pi, name] = key.split('.');
      const p = this.groups[Number(gi)]?.params[Number(pi)];
      if (!p || !name) throw new Error(`optimizer state names '${key}', which matches no parameter`);
      if (t.shape.join('x') !== p.shape.join('x')) {
        throw new Error(`optimizer state '${key}' has shape [${t.shape}] but its parameter has [${p.shape}]`);
      }
      targets.set(key, [p, name]);
    }
    this.stepCount = sd.meta.stepCount;
    sd.meta.groups.forEach((g, gi) => Object.assign(this.groups[gi]!, g));
    for (const s of this.state.values()) for (const t of Object.values(s)) t.dispose();
    this.state.clear();
    this.paramSteps.clear();
    sd.meta.paramSteps.forEach((steps, gi) =>
      steps.forEach((n, pi) => {
        const p = this.groups[gi]?.params[pi];
        if (p && n) this.paramSteps.set(p, n);
      }),
    );
    for (const [key, t] of sd.tensors) {
      const [p, name] = targets.get(key)!;
      this.stateOf(p)[name] = keep(t.clone());
    }
  }

  /** Frees the state tensors and forgets the step counts. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s)) t.dispose();
    this.state.clear();
    this.paramSteps.clear();
  }
}
