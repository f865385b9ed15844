// Architectures of a space as genomes for the genetic algorithm (src/search/genetic.ts): the
// space's own sampling, mutation and crossover (src/arch/sample.ts), the canonical string as the
// key, and the resource constraints as the feasibility filter.
import { crossover, mutate, sampleUniform } from '../arch/sample';
import { formatArch } from '../space/archFormat';
import { violations, type Constraint } from '../cost/constraints';
import type { CostModel } from '../cost/costModel';
import type { Arch, Space } from '../space/types';
import type { GenomeOps } from './genetic';

export function archGenome(space: Space): GenomeOps<Arch> {
  return {
    random: (rng) => sampleUniform(space, rng),
    // Each searched choice changes to another value with probability `rate`, at least one does.
    mutate: (parent, rng, rate) => mutate(space, parent, rng, { prob: rate }),
    crossover: (a, b, rng, rate) => crossover(space, a, b, rng, { prob: rate }),
    key: (arch) => formatArch(space, arch),
  };
}

/** True when the architecture's costs meet every constraint (always, without constraints). */
export function withinConstraints(model: CostModel, constraints: readonly Constraint[]): (arch: Arch) => boolean {
  return (arch) => !constraints.length || violations(constraints, model.costs(arch)).length === 0;
}
