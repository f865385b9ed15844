// A search strategy of your own, registered from outside the package: hill climbing, which
// proposes a mutation of the best architecture found so far (after a few random ones). It is an
// ask/tell Strategy (Optuna's sampler) wrapped in a plug-in: a name, its options as a zod schema
// and `create`. Like tsnas's own strategies it keeps no state of its own: each proposal is a
// function of the study's history and the ask's seeded rng, so a killed study resumes as if it
// had never stopped.
//
//   node customStrategy.js [STORE]
import { z } from 'zod';
import { registerStrategy, createStudy, strategyNames, type StrategyPlugin } from 'tsnas/search';
import type { AskContext, Proposal, Strategy } from 'tsnas/study';
import { mutate, sampleUniform } from 'tsnas/arch';
import { sampleWithin } from 'tsnas/cost';
import { parseArch } from 'tsnas/space';

const hillClimbOptions = z.object({
  warmup: z.number().int().min(1).default(4).describe('random architectures before climbing'),
});
type HillClimbOptions = z.infer<typeof hillClimbOptions>;

class HillClimb implements Strategy {
  readonly name = 'hill-climb';
  constructor(private readonly o: HillClimbOptions) {}

  ask(ctx: AskContext): Proposal {
    const { metric, direction } = ctx.objective;
    const complete = ctx.history.filter((t) => t.state === 'complete');
    const sign = direction === 'maximize' ? 1 : -1;
    const best = complete.reduce<(typeof complete)[number] | null>(
      (b, t) => (!b || sign * t.metrics[metric]! > sign * b.metrics[metric]! ? t : b),
      null,
    );
    const climbing = best !== null && complete.length >= this.o.warmup;
    const arch = sampleWithin({
      space: ctx.space,
      model: ctx.costs,
      constraints: ctx.constraints,
      rng: ctx.rng,
      seen: ctx.seen,
      draw: (r) => (climbing ? mutate(ctx.space, parseArch(ctx.space, best.arch), r) : sampleUniform(ctx.space, r)),
      what: 'hill climbing',
    });
    return { arch, source: climbing ? `climb:${best.number}` : 'random' };
  }

  tell(): void {}
}

const hillClimb: StrategyPlugin<HillClimbOptions> = {
  name: 'hill-climb',
  description: 'hill climbing: mutations of the best architecture so far',
  options: hillClimbOptions,
  create: (options) => new HillClimb(options),
};

async function main(): Promise<void> {
  registerStrategy(hillClimb);
  const study = await createStudy({
    store: process.argv[2] ?? 'studies.db',
    name: 'hill-climb',
    space: 'fbnet-s',
    strategy: 'hill-climb',
    strategyOptions: { warmup: 5 },
    evaluator: 'synthetic:1', // a cheap stand-in for training: a smooth function of the architecture
    constraints: ['flops<=6M'],
    trials: 25,
    seed: 2,
    loadIfExists: true,
  });
  try {
    await study.optimize();
    const trials = study.trials({ state: 'complete' });
    const climbs = trials.filter((t) => t.source?.startsWith('climb:'));
    const best = study.bestTrial!;
    console.log(`strategies: ${strategyNames().join(', ')}`);
    console.log(
      `${trials.length} trials, ${climbs.length} of them climbs; best ${best.metrics.accuracy} (trial ${best.number}, ${best.source})`,
    );
    console.log(
      JSON.stringify({
        trials: trials.length,
        climbs: climbs.length,
        best: best.metrics.accuracy,
        maxFlops: Math.max(...trials.map((t) => t.costs.flops!)),
      }),
    );
  } finally {
    study.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
