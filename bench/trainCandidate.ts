// One architecture string trained by a training evaluator outside the study's trials (the NARS
// benchmarks' "trained fully" networks), its checkpoint under the study's directory, so a rerun
// reads a finished training back instead of repeating it.
import type { Evaluator } from '../src/evaluate/evaluator';
import { parseArch } from '../src/space/archFormat';
import type { Space } from '../src/space/types';

export async function trainCandidate(
  tester: Evaluator,
  space: Space,
  arch: string,
  studyDir: string,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const a = parseArch(space, arch);
  const r = await tester.evaluate({
    arch: a,
    archText: arch,
    trialNumber: -1,
    recipe: tester.recipeFor(a, null),
    studyDir,
    heartbeat: () => {},
    log,
  });
  return r.metrics;
}
