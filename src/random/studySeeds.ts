// Every seed of a study, derived from the study's one seed (`seed`), in one place: the search's,
// each trial's training, the validation split the trials share, and each final training run. Two
// studies of different seeds are then two independent repeats, and the same seed is the same run.
//
// - The search's seed is the study's seed itself (the loops give each `ask` rngFor(seed, index),
//   the strategies derive theirs from ctx.seed), so that studies made before keep their draws.
// - A trial trains with a seed of (study seed, the trial's identity: its architecture and the
//   recipe fields searched with it), not of its number: the same network asked twice in a study
//   is the same training (read back from its checkpoint), and whichever worker asks first trains
//   what the others would have.
// - The trials share one validation split and training subset (of the study seed alone), so that
//   they are selected on the same images; only initialisation, data order and augmentation differ.
// - Final training run k (k = 0 .. K-1) of a network trains with a seed of (study seed, k, the
//   network's name): independent replicas, and a result and a reference never share a seed.
//
// A recipe that sets `seed` itself pins it (docs/studies.md, "Seeds"): the trials
// train with it as written, and final run k with it (k = 0) or with a seed derived from it.
import { deriveSeed, hashString } from './seeds';

/** The training seed of a trial, by its identity (architecture and searched recipe fields, as a stable text). */
export function trialTrainingSeed(studySeed: number, trialIdentity: string): number {
  return deriveSeed(studySeed, hashString('trial-training'), hashString(trialIdentity));
}

/** The seed of the validation split and training subset that every trial of a study shares. */
export function trialSplitSeed(studySeed: number): number {
  return deriveSeed(studySeed, hashString('trial-split'));
}

/** The seed of final training run `replica` (0-based) of the network named `network`. */
export function finalTrainingSeed(studySeed: number, replica: number, network: string): number {
  return deriveSeed(studySeed, hashString('final-training'), replica, hashString(network));
}

/** A pinned seed's run `replica`: the seed itself for the first, derived from it for the others. */
export function pinnedReplicaSeed(pinned: number, replica: number): number {
  return replica === 0 ? pinned : deriveSeed(pinned, hashString('final-replica'), replica);
}

/** The seed of the training subset of every final run (the networks train on the same images). */
export function finalSplitSeed(studySeed: number): number {
  return deriveSeed(studySeed, hashString('final-split'));
}

/** A stable text of a value (object keys sorted), to key a seed by a trial's identity. */
export function stableText(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableText).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableText(o[k])}`)
    .join(',')}}`;
}
