// Resource constraints of a search: 'flops<=300M', 'params<=2.5M', 'latency<=1.5ms' (latency from
// a lookup table, in microseconds unless a unit is given). Numbers take K/M/G suffixes (10^3,
// 10^6, 10^9). Strategies honour them by rejection sampling with a bounded number of tries; a
// constraint no architecture of the space can meet is refused before the search starts.
import { formatArch } from '../space/archFormat';
import type { Rng } from '../random/rng';
import type { Arch, Space } from '../space/types';
import { costField, type ArchCosts, type CostKind, type CostModel } from './costModel';
import { MissingLatencyTableError } from './missingLatencyTable';

export interface Constraint {
  kind: CostKind;
  /** Upper bound (FLOPs, parameters, or microseconds). */
  max: number;
  /** As written. */
  text: string;
}

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };
const TIME: Record<string, number> = { us: 1, ms: 1e3, s: 1e6 };

export const CONSTRAINT_FORMS = ['flops<=X', 'params<=X', 'latency<=X (with `lut` FILE)'];

/** Parses 'flops<=300M', 'params<=2.5M', 'latency<=1500', 'latency<=1.5ms'. */
export function parseConstraint(text: string): Constraint {
  const m =
    /^\s*(flops|macs|params|latency)\s*<=\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(?:(us|ms|s)|([kKmMgG])\s*(us|ms|s)?)?\s*$/.exec(
      text,
    );
  if (!m) {
    throw new Error(
      `invalid constraint '${text}': expected one of ${CONSTRAINT_FORMS.join(', ')}, where X is a number with an optional ` +
        'K/M/G suffix (e.g. flops<=300M, params<=2.5M, latency<=1.5ms; latency is in microseconds unless written with us/ms/s)',
    );
  }
  const kind = (m[1] === 'macs' ? 'flops' : m[1]) as CostKind;
  const unit = m[3] ?? m[5];
  if (unit && kind !== 'latency')
    throw new Error(`invalid constraint '${text}': a time unit (${unit}) only fits latency`);
  const max = Number(m[2]) * SUFFIX[m[4] ?? '']! * (unit ? TIME[unit]! : 1);
  if (!(max > 0)) throw new Error(`invalid constraint '${text}': the bound must be positive`);
  return { kind, max, text: text.replace(/\s+/g, '') };
}

/** A cost for people: 3.21M FLOPs, 0.123M params, 1.25 ms. */
export function formatCost(kind: CostKind, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '?';
  if (kind === 'latency') return v >= 1000 ? `${(v / 1000).toPrecision(3)}ms` : `${v.toPrecision(3)}us`;
  if (v >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (v >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${(v / 1e3).toPrecision(3)}K`;
  return String(Math.round(v));
}

/** What a trial's costs break, e.g. ['flops 412M > 300M']; empty when they satisfy every constraint. */
export function violations(constraints: readonly Constraint[], costs: ArchCosts): string[] {
  const out: string[] = [];
  for (const c of constraints) {
    const v = costs[costField(c.kind)];
    if (v === null) out.push(`${c.kind} unknown (${c.text})`);
    else if (!(v <= c.max)) out.push(`${c.kind} ${formatCost(c.kind, v)} > ${formatCost(c.kind, c.max)}`);
  }
  return out;
}

export class UnsatisfiableConstraintError extends Error {}

/**
 * Refuses constraints no architecture can meet: for each, the space's minimum of that cost
 * (exact for layer-wise spaces, over the table for tabular evaluators, else the smallest of many
 * draws) must be within the bound. (Bounds that each can be met but not together show up when
 * the strategy draws: sampleWithin fails with the closest miss.)
 */
export function checkSatisfiable(constraints: readonly Constraint[], model: CostModel, seed = 0): void {
  for (const c of constraints) {
    if (c.kind === 'latency' && !model.hasLatency) {
      throw new MissingLatencyTableError(`constraint ${c.text}`, { space: model.space.name });
    }
  }
  for (const c of constraints) {
    const m = model.minimum(c.kind, seed);
    if (m.value > c.max) {
      const how =
        m.how === 'exact'
          ? 'exactly: every layer at its cheapest choice'
          : m.how === 'table'
            ? 'over every architecture of the table'
            : `the smallest of ${m.samples} random architectures; the true minimum may be a little lower`;
      throw new UnsatisfiableConstraintError(
        `constraint ${c.text} cannot be met in space '${model.space.name}': its smallest ${c.kind} is ` +
          `${formatCost(c.kind, m.value)} (${how}; that architecture is ${formatArch(model.space, m.arch)}); loosen the bound to at least ${formatCost(c.kind, m.value)}`,
      );
    }
  }
}

export class ConstraintSamplingError extends Error {}

export const DEFAULT_MAX_TRIES = 20000;

/**
 * Draws until an architecture meets every constraint (and, for up to `preferUnseenTries` draws,
 * is not in `seen`); throws after maxTries draws with the closest miss.
 */
export function sampleWithin(o: {
  space: Space;
  model: CostModel;
  constraints: readonly Constraint[];
  rng: Rng;
  draw: (rng: Rng) => Arch;
  seen?: ReadonlySet<string>;
  preferUnseenTries?: number;
  maxTries?: number;
  what?: string;
}): Arch {
  const maxTries = o.maxTries ?? DEFAULT_MAX_TRIES;
  const unseenTries = o.preferUnseenTries ?? 50;
  let firstFeasible: Arch | null = null;
  let closest: { arch: Arch; why: string[]; excess: number } | null = null;
  for (let i = 0; i < maxTries; i++) {
    const arch = o.draw(o.rng);
    if (o.constraints.length) {
      const costs = o.model.costs(arch);
      const why = violations(o.constraints, costs);
      if (why.length) {
        let excess = 0;
        for (const c of o.constraints) excess += Math.max(0, (costs[costField(c.kind)] ?? Infinity) / c.max - 1);
        if (!closest || excess < closest.excess) closest = { arch, why, excess };
        continue;
      }
    }
    if (!o.seen || i >= unseenTries) return arch;
    if (!firstFeasible) firstFeasible = arch;
    if (!o.seen.has(formatArch(o.space, arch))) return arch;
    if (i + 1 >= unseenTries) return firstFeasible;
  }
  if (firstFeasible) return firstFeasible;
  throw new ConstraintSamplingError(
    `${o.what ?? 'sampling'}: no architecture within ${o.constraints.map((c) => c.text).join(' and ')} in ${maxTries} draws` +
      `${closest ? ` (the closest: ${closest.why.join(', ')})` : ''}; the constraints admit too small a part of space '${o.space.name}' ` +
      'for rejection sampling: loosen them',
  );
}
