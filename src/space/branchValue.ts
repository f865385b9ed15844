// Values of multi-branch dimensions (a layer-wise space with `branches`): a layer's value is one
// candidate op or a '+'-joined set of 2..branches distinct candidates in canonical order
// (ir_k3_e3+ir_k5_e1). The dimension's `values` stay the single candidates, so sampling,
// choice indices and supernets see the candidate list; these helpers are where a set is allowed.
import { BRANCH_SEPARATOR, branchNames, formatBranches } from '../blocks/opName';
import type { Dim, Value } from './types';

/** True when v is a multi-branch value ('+'-joined). */
export function isBranchSet(v: Value): v is string {
  return typeof v === 'string' && v.includes(BRANCH_SEPARATOR);
}

/**
 * Why v is not a value of the dimension, or null when it is: one of its values, or (a multi-branch
 * dimension) a canonical set of 2..branches distinct ones.
 */
export function branchValueProblem(d: Dim, v: Value): string | null {
  if (d.values.includes(v)) return null;
  if (!isBranchSet(v)) return `${JSON.stringify(v)} is not allowed`;
  if (!d.branches || d.branches < 2)
    return `${JSON.stringify(v)} is a multi-branch value, but the space allows one op per layer (give it \`branches: N\`)`;
  const parts = branchNames(v);
  if (parts.length > d.branches)
    return `${JSON.stringify(v)} has ${parts.length} branches; the space allows at most ${d.branches}`;
  const unknown = parts.filter((p) => !d.values.includes(p));
  if (unknown.length)
    return `branch(es) ${unknown.map((u) => `'${u}'`).join(', ')} of ${JSON.stringify(v)} are not candidates`;
  if (new Set(parts).size !== parts.length) return `${JSON.stringify(v)} lists a branch twice`;
  const canonical = formatBranches(parts);
  if (canonical !== v) return `${JSON.stringify(v)} is not in canonical order: write '${canonical}'`;
  return null;
}

/** The single-op values a dimension's value is made of. */
export function valueBranches(v: Value): Value[] {
  return isBranchSet(v) ? branchNames(v) : [v];
}
