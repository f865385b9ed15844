// Random search: every proposal an architecture drawn uniformly from the space, rejection-sampled
// into the constraints (and away from architectures already evaluated, while that is easy). The
// n-th proposal uses an Rng seeded by (study seed, n) alone, so the strategy has no state: a
// resumed study proposes what an uninterrupted one would. An evaluator of a finite set (a table):
// its unevaluated entries within the constraints, uniformly, until none is left.
import { sampleUniform } from '../../arch/sample';
import type { AskContext, Proposal, Strategy } from '../../study/strategy';
import { sampleWithin } from '../../cost/constraints';
import { drawEntry, finiteCandidates } from '../finiteCandidates';
import { randomOptions, type RandomOptions } from './options';

export class RandomSearch implements Strategy {
  readonly name = 'random';
  constructor(readonly options: RandomOptions = randomOptions.parse({})) {}

  ask(ctx: AskContext): Proposal | null {
    const finite = finiteCandidates(ctx);
    if (finite) return finite.open.length ? { arch: drawEntry(finite.open, ctx.rng), source: 'random' } : null;
    const arch = sampleWithin({
      space: ctx.space,
      model: ctx.costs,
      constraints: ctx.constraints,
      rng: ctx.rng,
      seen: ctx.seen,
      draw: (r) => sampleUniform(ctx.space, r),
      maxTries: this.options.maxTries,
      what: 'random search',
    });
    return { arch, source: 'random' };
  }

  tell(): void {}
}
