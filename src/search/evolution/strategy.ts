// Regularized (aging) evolution, Real et al. 2019 ("Regularized Evolution for Image Classifier
// Architecture Search", Algorithm 1): a population of the P most recent complete trials; until it
// is full, proposals are random; then each proposal is the genetic algorithm's child step
// (src/search/genetic.ts makeChild): a tournament of S members drawn at random (with replacement)
// picks the parent, which is mutated (src/arch mutate: each searched choice changes with
// probability 1/n, at least one does). A finished child joins the population and the oldest member
// leaves (aging, not the worst). Children outside the constraints are redrawn (bounded), and
// children already evaluated are avoided while that is easy. An evaluator of a finite set (a
// table): the initial population is drawn from its unevaluated entries and a mutated child moves to
// the nearest unevaluated entry (src/search/finiteCandidates.ts).
//
// State: the population is rebuilt by replaying the complete trials in order through tell; each
// proposal's randomness comes from an Rng seeded by (study seed, index). Nothing is checkpointed.
import { parseArch } from '../../space/archFormat';
import { mutate, sampleUniform } from '../../arch/sample';
import type { Arch } from '../../space/types';
import type { AskContext, Proposal, Strategy, StudyContext } from '../../study/strategy';
import type { TrialRecord } from '../../study/types';
import { sampleWithin } from '../../cost/constraints';
import { makeChild, tournament } from '../genetic';
import { archGenome, withinConstraints } from '../archGenome';
import { drawEntry, finiteCandidates, nearestEntry } from '../finiteCandidates';
import { evolutionOptions, type EvolutionOptions } from './options';

interface Member {
  number: number;
  /** Canonical string (parsed only when the member becomes a parent: replaying stays cheap). */
  arch: string;
  fitness: number;
}

export class RegularizedEvolution implements Strategy {
  readonly name = 'evolution';
  /** Oldest first. */
  readonly population: Member[] = [];

  constructor(readonly options: EvolutionOptions = evolutionOptions.parse({})) {}

  tell(trial: TrialRecord, ctx: StudyContext): void {
    if (trial.state !== 'complete') return;
    const v = trial.metrics[ctx.objective.metric];
    if (v === undefined || !Number.isFinite(v)) return;
    this.population.push({
      number: trial.number,
      arch: trial.arch,
      fitness: ctx.objective.direction === 'maximize' ? v : -v,
    });
    if (this.population.length > this.options.population) this.population.shift();
  }

  ask(ctx: AskContext): Proposal | null {
    const finite = finiteCandidates(ctx);
    if (finite) return this.askFinite(ctx, finite.open);
    const base = {
      space: ctx.space,
      model: ctx.costs,
      constraints: ctx.constraints,
      rng: ctx.rng,
      seen: ctx.seen,
      maxTries: this.options.maxTries,
    };
    if (this.population.length < this.options.population) {
      return {
        arch: sampleWithin({
          ...base,
          draw: (r) => sampleUniform(ctx.space, r),
          what: 'evolution (initial population)',
        }),
        source: 'random',
      };
    }
    const child = makeChild(ctx.rng, {
      ops: archGenome(ctx.space),
      kind: 'mutation',
      select: (rng) => {
        const m = tournament(this.population, this.options.sampleSize, rng);
        return { genome: parseArch(ctx.space, m.arch), fitness: m.fitness };
      },
      mutationRate: () => this.options.mutationProb ?? 1 / ctx.space.searchDims.length,
      feasible: withinConstraints(ctx.costs, ctx.constraints),
      isSeen: (key) => ctx.seen.has(key),
      maxTries: Math.min(this.options.maxTries, 2000),
      unseen: { preferFor: 50 },
      newParentsEachTry: false,
    });
    if (child) return { arch: child.genome, source: 'mutation' };
    // No feasible neighbour of this parent: a fresh random architecture instead.
    return {
      arch: sampleWithin({ ...base, draw: (r) => sampleUniform(ctx.space, r), what: 'evolution (random restart)' }),
      source: 'random',
    };
  }

  private askFinite(ctx: AskContext, open: readonly Arch[]): Proposal | null {
    if (open.length === 0) return null;
    if (this.population.length < this.options.population) return { arch: drawEntry(open, ctx.rng), source: 'random' };
    const parent = tournament(this.population, this.options.sampleSize, ctx.rng);
    const child = mutate(ctx.space, parseArch(ctx.space, parent.arch), ctx.rng, {
      prob: this.options.mutationProb ?? 1 / ctx.space.searchDims.length,
    });
    return { arch: nearestEntry(ctx.space, child, open, ctx.rng), source: 'mutation' };
  }
}
