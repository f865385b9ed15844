// Stage 1's pool: n architecture-recipe pairs inside the constraint window (the study's
// constraints and the `options.window` bounds), which the predictor is pretrained on and stage 2 picks its
// candidates from. Three ways, by what the search can evaluate:
//   - 'sobol': the first n distinct pairs of a scrambled Sobol sequence over the searched
//     dimensions that fall inside the window (quasi-Monte-Carlo: even coverage of every
//     dimension), drawing at most max(20 n, 100000) points;
//   - 'enumerated': every pair of the searched space inside the window, when the searched space
//     holds no more than n pairs;
//   - 'table': the evaluator's own architectures (a tabular benchmark's entries) that fit the
//     searched space and the window, all of them or n drawn at random (seeded).
// Round 1 of stage 2 takes its m candidates from the pool by the same Sobol sequence: the first m
// of a 'sobol' pool, else the pool entry nearest to each of the first m Sobol points (in the unit
// cube of the searched dimensions), each entry once.
import { Sobol } from '../../arch/sobol';
import { archFromIndices, archIndices } from '../../space/archFormat';
import { violations, type Constraint } from '../../cost/constraints';
import { costField, type ArchCosts } from '../../cost/costModel';
import { spaceSize } from '../../arch/size';
import { archFromUnit } from '../../arch/sample';
import { Rng } from '../../random/rng';
import type { Arch, Space } from '../../space/types';
import { outsideWindow, type Bound } from './window';

export type PoolHow = 'sobol' | 'enumerated' | 'table';

export interface PoolInput {
  /** The study's space (entries are its searched dimensions' value indices). */
  space: Space;
  /** The searched part (src/search/nars/searchSpace.ts). */
  searched: Space;
  costs: (arch: Arch) => ArchCosts;
  constraints: readonly Constraint[];
  window: readonly Bound[];
  /** n. */
  size: number;
  seed: number;
  /** The evaluator's finite set of architectures, when it has one (a table's). */
  candidates?: readonly Arch[] | null;
}

export interface Pool {
  /** The pairs, in pool order. */
  archs: Arch[];
  /** Each pair as the study space's searched value indices joined by '.', the stored form. */
  entries: string[];
  how: PoolHow;
  /** n as asked. */
  wanted: number;
  /** Sobol points drawn ('sobol'), pairs enumerated ('enumerated') or table entries looked at ('table'). */
  looked: number;
  /** Pairs of the searched space (a number; Infinity beyond 1.8e308), or the table's entries. */
  searchSize: number;
  /** How far the closest rejected pair missed the window, when some were rejected. */
  closestMiss: string | null;
}

/** The stored form of a pair: the study space's searched value indices. */
export function poolEntry(space: Space, arch: Arch): string {
  return archIndices(space, arch).join('.');
}

export function poolArch(space: Space, entry: string): Arch {
  return archFromIndices(space, entry === '' ? [] : entry.split('.').map(Number));
}

export function maxSobolDraws(n: number): number {
  return Math.max(20 * n, 100000);
}

/** The Sobol stream of the pool and of round 1 (seeded; the searched dimensions). */
export function poolSobol(searched: Space, seed: number): Sobol | null {
  return searched.searchDims.length ? new Sobol(searched.searchDims.length, { seed }) : null;
}

export function buildPool(i: PoolInput): Pool {
  const { space, searched } = i;
  const seen = new Set<string>();
  const archs: Arch[] = [];
  const entries: string[] = [];
  let closest: { why: string[]; excess: number } | null = null;
  const admit = (arch: Arch): boolean => {
    const c = i.costs(arch);
    const why = [...violations(i.constraints, c), ...outsideWindow(i.window, c)];
    if (why.length) {
      let excess = 0;
      for (const b of i.constraints) excess += Math.max(0, (c[costField(b.kind)] ?? Infinity) / b.max - 1);
      for (const b of i.window) {
        const v = c[costField(b.kind)] ?? Infinity;
        excess += Math.max(0, b.side === 'max' ? v / b.value - 1 : b.value / v - 1);
      }
      if (!closest || excess < closest.excess) closest = { why, excess };
      return false;
    }
    return true;
  };
  const add = (arch: Arch) => {
    const e = poolEntry(space, arch);
    if (seen.has(e)) return;
    seen.add(e);
    if (!admit(arch)) return;
    archs.push(arch);
    entries.push(e);
  };
  const done = (how: PoolHow, looked: number, searchSize: number): Pool => ({
    archs,
    entries,
    how,
    wanted: i.size,
    looked,
    searchSize,
    closestMiss: closest ? (closest as { why: string[] }).why.join(', ') : null,
  });

  if (i.candidates) {
    const fits = i.candidates.filter((a) =>
      searched.dims.every((d) => d.values.length > 1 || a[d.key] === d.values[0]),
    );
    let order = fits;
    if (fits.length > i.size) {
      const p = new Rng(i.seed).permutation(fits.length);
      order = Array.from(p, (k) => fits[k]!);
    }
    let looked = 0;
    for (const a of order) {
      if (archs.length >= i.size) break;
      looked++;
      add(a);
    }
    return done('table', looked, i.candidates.length);
  }

  const size = spaceSize(searched).count;
  if (size <= i.size) {
    const dims = searched.searchDims;
    const idx = dims.map(() => 0);
    for (let k = 0; k < size; k++) {
      add(archFromIndices(searched, idx));
      for (let j = dims.length - 1; j >= 0; j--) {
        if (++idx[j]! < dims[j]!.values.length) break;
        idx[j] = 0;
      }
    }
    return done('enumerated', size, size);
  }

  const sobol = poolSobol(searched, i.seed)!;
  const maxDraws = maxSobolDraws(i.size);
  let drawn = 0;
  while (archs.length < i.size && drawn < maxDraws) {
    drawn++;
    add(archFromUnit(searched, sobol.next()));
  }
  return done('sobol', drawn, size);
}

/** Describes a pool for people (one line). */
export function poolSummary(p: Pool, windowText: string): string {
  const where = windowText ? ` inside ${windowText}` : '';
  if (p.how === 'sobol')
    return (
      `${p.archs.length} pairs by scrambled Sobol sampling${where} (${p.looked} points drawn` +
      `${p.archs.length < p.wanted ? `; the window admits fewer than the ${p.wanted} asked within the draws allowed` : ''})`
    );
  if (p.how === 'enumerated')
    return `the whole searched space${where}: ${p.archs.length} of its ${p.searchSize} pairs (fewer than the ${p.wanted} asked)`;
  return `${p.archs.length} of the evaluator's ${p.searchSize} architectures${where}${p.archs.length >= p.wanted ? ` (a seeded sample of ${p.wanted})` : ''}`;
}

/** Round 1's diverse candidates: see the file comment. Returns pool indices. */
export function qmcRound(archs: readonly Arch[], how: PoolHow, searched: Space, seed: number, m: number): number[] {
  const want = Math.min(m, archs.length);
  if (how === 'sobol') return Array.from({ length: want }, (_, k) => k);
  const dims = searched.searchDims;
  const sobol = poolSobol(searched, seed);
  if (!sobol) return Array.from({ length: want }, (_, k) => k);
  const coords = archs.map((a) => dims.map((d) => (d.values.indexOf(a[d.key]!) + 0.5) / d.values.length));
  const taken = new Set<number>();
  const out: number[] = [];
  while (out.length < want) {
    const u = sobol.next();
    let best = -1;
    let bestD = Infinity;
    for (let k = 0; k < coords.length; k++) {
      if (taken.has(k)) continue;
      const c = coords[k]!;
      let d = 0;
      for (let j = 0; j < c.length; j++) d += (c[j]! - u[j]!) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    taken.add(best);
    out.push(best);
  }
  return out;
}

/** Why a pool is unusable, or null: empty, or smaller than a round. */
export function poolProblem(p: Pool, perRound: number, windowText: string, spaceName: string): string | null {
  const where = windowText || 'the constraints';
  if (!p.archs.length)
    return (
      `no architecture of space '${spaceName}' meets ${where} (looked at ${p.looked} ${p.how === 'table' ? 'table entries' : 'pairs'}` +
      `${p.closestMiss ? `; the closest: ${p.closestMiss}` : ''}): widen \`options.window\` or the constraints`
    );
  if (perRound > p.archs.length)
    return (
      `m = ${perRound} candidates per round is larger than the pool (${p.archs.length} pairs ${where === 'the constraints' ? 'within the constraints' : `inside ${where}`}): ` +
      'lower `options.perRound` or `trials`, raise `options.rounds`, or widen the window'
    );
  return null;
}
