// The ops still in a (shrunk) search space: per layer of a supernet's layout, the candidate
// indices a path may pick. A one-shot method starts with every candidate and drops some (ABS's
// angle-based shrinking, NSE's rounds); the supernet keeps every op's module, so a shrunk space is
// this list, not a new network. No engine here.
import type { SupernetLayout } from './layout';

/** Per layer, the candidate indices still in the space (ascending, at least one each). */
export type ActiveOps = number[][];

/** Every candidate of every layer. */
export function allOps(layout: SupernetLayout): ActiveOps {
  return layout.layers.map((l) => l.candidates.map((_, i) => i));
}

/** Throws unless `active` fits the layout: one list per layer, indices in range, distinct, none empty. */
export function checkActiveOps(layout: SupernetLayout, active: ActiveOps): void {
  if (active.length !== layout.layers.length)
    throw new Error(
      `active ops: ${active.length} layers given, the space '${layout.space.name}' has ${layout.layers.length}`,
    );
  layout.layers.forEach((l, n) => {
    const a = active[n]!;
    if (!a.length) throw new Error(`active ops: layer ${l.key} has no op left; a layer keeps at least one`);
    if (new Set(a).size !== a.length)
      throw new Error(`active ops: layer ${l.key} lists an op twice: [${a.join(', ')}]`);
    for (const i of a)
      if (!Number.isInteger(i) || i < 0 || i >= l.candidates.length)
        throw new Error(`active ops: layer ${l.key} has no candidate ${i} (0..${l.candidates.length - 1})`);
  });
}

/** Number of paths through the active ops (a float: fbnet's 9^22 is not an exact integer). */
export function pathCount(active: ActiveOps): number {
  return active.reduce((p, a) => p * a.length, 1);
}

/** Whether a path picks only active ops. */
export function isActivePath(active: ActiveOps, indices: readonly number[]): boolean {
  return indices.length === active.length && indices.every((i, l) => active[l]!.includes(i));
}

/** A copy without op `op` of layer `layer`; throws if it is the layer's last op or not active. */
export function dropOp(active: ActiveOps, layer: number, op: number): ActiveOps {
  const a = active[layer];
  if (!a || !a.includes(op)) throw new Error(`dropOp: op ${op} of layer ${layer} is not in the space`);
  if (a.length === 1) throw new Error(`dropOp: op ${op} is layer ${layer}'s last op; a layer keeps at least one`);
  return active.map((ops, l) => (l === layer ? ops.filter((i) => i !== op) : [...ops]));
}

/** Per layer, the uniform distribution over the active ops (0 for the dropped ones). */
export function activeDistributions(layout: SupernetLayout, active: ActiveOps): number[][] {
  return layout.layers.map((l, n) => l.candidates.map((_, i) => (active[n]!.includes(i) ? 1 / active[n]!.length : 0)));
}

/** The ops by name, per layer: 'ir_k3_e1, skip' (for logs and reports). */
export function describeActiveOps(layout: SupernetLayout, active: ActiveOps): string[] {
  return layout.layers.map((l, n) => active[n]!.map((i) => l.candidates[i]!.op).join(', '));
}
