// The training evaluator: trains each candidate with the trainer (trainArchitecture) on a data
// set, with a budget (epochs, a stratified training subset), and reports validation accuracy as
// `accuracy`; test accuracy only when asked (final reports; never used for selection).
//
// Each (space, architecture, data, training subset, recipe) trains in its own checkpoint directory
// under the study directory (the trainer also refuses a checkpoint of another run in it),
// written at every epoch end: a trial interrupted by a crash continues from its last finished
// epoch when the resumed search asks for it again, and an architecture asked twice is read back
// from its finished checkpoint instead of being trained again (training is seeded, so the result
// is the same). A strategy's early stopping (EvalJob.stopAfterEpochs) trains the first epochs of
// the same schedule and reports the accuracy reached there; the checkpoint then holds those epochs,
// and training the same pair further continues from it.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { loadDataSource } from '../data/dataSource';
import type { DataSource } from '../data/imageSet';
import { recipeOverridesFromArch } from '../train/archRecipe';
import { loadRecipe, recipeSetsSeed, type Recipe, type RecipeInput } from '../train/recipe';
import { stableText, trialSplitSeed, trialTrainingSeed } from '../random/studySeeds';
import { checkTrainingSplit } from '../train/checkSplit';
import { chanceValidationNote } from '../train/chanceNote';
import type { Arch, Space } from '../space/types';
import { spaceFingerprint as fingerprintOf } from '../space/fingerprint';
import { EvaluationError, type EvalJob, type EvalResult, type Evaluator } from './evaluator';

export interface TrainingEvaluatorOptions {
  space: Space;
  /** How to find the space again (stored in checkpoints). */
  spaceRef: string;
  /** Data set as on the command line: 'synthetic:2', 'fashion-mnist', 'cifar10:DIR'. */
  data: string;
  /** Recipe file (YAML or JSON). */
  recipeFile?: string;
  /** Recipe fields on top of the file (from the study config). */
  recipe?: Partial<RecipeInput>;
  /** Budget: epochs (overrides the recipe) and a training subset. */
  epochs?: number;
  limitTrain?: number;
  threads?: number;
  /** Also measure test accuracy (reported as testAcc; never the objective). */
  reportTest?: boolean;
  /**
   * The study's seed: each trial trains with a seed derived from it and the trial's identity, on
   * a validation split of it that every trial shares (src/random/studySeeds.ts), unless the
   * recipe sets its seed itself. Absent (studies made before): the recipe's seed, as recorded.
   */
  studySeed?: number;
}

export function createTrainingEvaluator(o: TrainingEvaluatorOptions): Evaluator & { data: DataSource } {
  const data = loadDataSource(o.data, { input: o.space.input });
  const spaceFingerprint = fingerprintOf(o.space);
  let noted = false;
  let dataNoted = false;
  const input: [number, number, number] = [data.train.channels, data.train.height, data.train.width];
  // A seed the recipe sets itself pins every trial's; otherwise the study's seed derives them.
  const seedFrom = o.studySeed !== undefined && !recipeSetsSeed(o.recipeFile, o.recipe ?? {}) ? o.studySeed : undefined;
  const recipeOf = (arch: Arch, proposed?: Record<string, unknown> | null): Recipe =>
    loadRecipe(o.recipeFile, {
      ...(o.recipe ?? {}),
      ...(seedFrom !== undefined
        ? {
            seed: trialTrainingSeed(seedFrom, stableText({ arch, recipe: proposed ?? null })),
            splitSeed: trialSplitSeed(seedFrom),
          }
        : {}),
      ...recipeOverridesFromArch(arch),
      ...((proposed ?? {}) as Partial<RecipeInput>),
      epochs: o.epochs,
    });
  // Fail now on a bad recipe, not at the first trial.
  const probe = recipeOf(Object.fromEntries(o.space.dims.map((d) => [d.key, d.values[0]!])));
  // And on a subset too small to validate on, before the first trial (trials select on validation).
  checkTrainingSplit(data, probe, o.limitTrain, { needValidation: true });
  const budget = [
    `${o.epochs ?? probe.epochs} epoch${(o.epochs ?? probe.epochs) === 1 ? '' : 's'}`,
    o.limitTrain ? `${o.limitTrain} training images` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    kind: 'train',
    spec: 'train',
    data,
    description: `training on ${o.data} (${budget})`,
    // Costs follow the network as trained: the data's channels and size (in a space that searches
    // the resolution, decode takes only the channels and the size from the architecture), the data's classes.
    decode: {
      input: [input[0], probe.resolution ?? input[1], probe.resolution ?? input[2]],
      classes: data.train.classes,
    },
    metrics: ['accuracy', 'valLoss', 'trainAcc', 'trainLoss', ...(o.reportTest ? ['testAcc'] : [])],
    recipeFor: (arch, proposed) => recipeOf(arch, proposed) as unknown as Record<string, unknown>,
    async evaluate(job: EvalJob): Promise<EvalResult> {
      // The engine loads only when a trial trains.
      const { trainArchitecture } = await import('../train/trainArchitecture');
      if (!dataNoted) {
        dataNoted = true; // how the data was read: once per search
        for (const n of data.notes ?? []) job.log(n);
      }
      const recipe = (job.recipe as unknown as Recipe | null) ?? recipeOf(job.arch);
      // Everything that defines the trained network and its metrics: the space (another space, or a
      // space file edited since, has other networks under the same strings), the architecture, the
      // data, the training subset and the recipe.
      const key = crypto
        .createHash('sha1')
        .update(
          JSON.stringify({
            space: o.space.name,
            spaceFingerprint,
            arch: job.archText,
            data: o.data,
            limitTrain: o.limitTrain ?? null,
            recipe,
          }),
        )
        .digest('hex')
        .slice(0, 16);
      const checkpointDir = path.join(job.studyDir, 'checkpoints', key);
      job.addArtifact?.('checkpoint', checkpointDir);
      // The study's files may live in the store (workers that share only the database): the
      // checkpoint another worker wrote is downloaded first, and each epoch's is uploaded before
      // the epoch is recorded, so that a trial's recorded epochs are always in the store.
      job.files?.pull(checkpointDir);
      if (job.resumeEpochs) {
        const { hasCheckpoint, readCheckpointState } = await import('../train/checkpoint');
        const done = hasCheckpoint(checkpointDir) ? readCheckpointState(checkpointDir).epoch : 0;
        if (done < job.resumeEpochs) {
          const file = path.join(checkpointDir, 'checkpoint.safetensors');
          const what = `the checkpoint of trial ${job.trialNumber} (${job.archText}) after epoch ${job.resumeEpochs}, where an interrupted trial of it stopped`;
          const instead = `found ${done ? `one after epoch ${done} only` : 'none'}; not training it again from epoch ${done}: make the study's files reachable (the store, or the folder it names) and resume`;
          throw new EvaluationError(
            job.files ? job.files.missing(file, what, instead).message : `${what} is not in ${file}; ${instead}`,
          );
        }
      }
      const epochs: Array<Record<string, number>> = [];
      const r = trainArchitecture({
        space: o.space,
        spaceRef: o.spaceRef,
        arch: job.arch,
        recipe,
        data,
        limitTrain: o.limitTrain,
        stopAfterEpochs: job.stopAfterEpochs,
        test: !!o.reportTest,
        checkpointDir,
        threads: o.threads,
        onProgress: () => job.heartbeat(),
        onEpoch: (m) => {
          epochs.push({ ...m });
          job.files?.push(checkpointDir);
          job.onEpoch?.(epochs);
        },
      });
      job.files?.push(checkpointDir);
      const all = r.epochs.map((e) => ({ ...e }) as unknown as Record<string, number>);
      if (r.resumedFrom > 0)
        job.log(
          `trial ${job.trialNumber}: continued from the checkpoint after epoch ${r.resumedFrom} (${checkpointDir})`,
        );
      if (r.status === 'failed') throw new EvaluationError(r.error ?? 'training failed', { epochs: all });
      const note = noted ? null : chanceValidationNote(r.epochs, data.train.classes, r.steps);
      if (note) {
        noted = true; // once per search: every trial of a budget this small is alike
        job.log(`trial ${job.trialNumber}: ${note}`);
      }
      const last = r.epochs.at(-1);
      const metrics: Record<string, number> = {
        accuracy: r.valAcc,
        valLoss: last?.valLoss ?? NaN,
        trainAcc: last?.trainAcc ?? NaN,
        trainLoss: last?.loss ?? NaN,
        epochs: r.epochs.length,
        trainSeconds: r.seconds,
        imgPerSec: r.imgPerSec,
      };
      if (r.testAcc !== null) metrics.testAcc = r.testAcc;
      if (!Number.isFinite(r.valAcc)) {
        throw new EvaluationError(
          `no validation accuracy: the recipe's valFraction is ${recipe.valFraction}, so there is no validation split to select on; set valFraction > 0`,
          { metrics, epochs: all },
        );
      }
      return { metrics, epochs: all };
    },
  };
}
