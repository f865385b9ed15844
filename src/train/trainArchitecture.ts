// (space, architecture, recipe, data) -> a trained network's metrics: the one path by which the CLI
// and every search's evaluator train a candidate. The network's input comes from the data (and the
// recipe's resolution), its classes from the data, its dropout and stochastic depth from the recipe.
import { formatArch } from '../space/archFormat';
import { buildNetwork } from '../builder/buildNetwork';
import { archCost } from '../cost/netCost';
import type { DataSource } from '../data/imageSet';
import { describeModel, type ModelDescription } from '../data/modelDescription';
import { manualSeed } from '../engine/creation';
import type { Arch, Space } from '../space/types';
import type { Recipe } from './recipe';
import { restoreNetwork, type NetworkInfo } from './restoreNetwork';
import { checkTrainingSplit } from './checkSplit';
import { allocationErrorMessage, isAllocationError } from './allocationError';
import { train, type TrainJob, type TrainResult } from './trainer';

/** A training job named by its architecture: the network is built here (TrainJob minus the model). */
export interface TrainArchitectureJob extends Omit<TrainJob, 'model' | 'runInfo' | 'teacher' | 'memoryFormat'> {
  space: Space;
  /** How to find the space again (a built-in name or a file path), stored in checkpoints. */
  spaceRef: string;
  arch: Arch;
}

export interface ArchitectureResult extends TrainResult {
  arch: string;
  flops: number;
  params: number;
  input: [number, number, number];
  /** Optimizer steps the run took (its epochs times the batches of one). */
  steps: number;
  /** What the network expects and answers (class names, input, normalisation), as its checkpoint records it. */
  model: ModelDescription;
}

/** The network's input: the data's channels; the architecture's searched resolution, else the recipe's, else the data's size. */
export function inputShapeFor(data: DataSource, recipe: Recipe, arch?: Arch): [number, number, number] {
  const t = data.train;
  const searched = arch?.resolution;
  const res = typeof searched === 'number' ? searched : recipe.resolution;
  return [t.channels, res ?? t.height, res ?? t.width];
}

export function trainArchitecture(job: TrainArchitectureJob): ArchitectureResult {
  const { space, arch, data } = job;
  const input = inputShapeFor(data, job.recipe, arch);
  // The loader resizes images to the network's input when the architecture chose a resolution.
  const recipe =
    input[1] !== data.train.height || input[2] !== data.train.width
      ? { ...job.recipe, resolution: input[1] }
      : job.recipe;
  // Before anything is built: a subset too small to train or validate on is an error, not a NaN.
  const split = checkTrainingSplit(data, recipe, job.limitTrain);
  // As the trainer's loader: the last partial batch is dropped when there is more than one batch.
  const batchesPerEpoch =
    split.train > recipe.batchSize
      ? Math.floor(split.train / recipe.batchSize)
      : Math.ceil(split.train / recipe.batchSize);
  const classes = data.train.classes;
  const decodeOpts = { input, classes, dropout: recipe.dropout, dropPath: recipe.stochasticDepth };
  const cost = archCost(space, arch, decodeOpts);
  const archText = formatArch(space, arch);
  manualSeed(recipe.seed);
  // libtorch's allocator names only the bytes: a network too large says its size and largest layers.
  const explain = (err: unknown) => allocationErrorMessage(err, space, arch, archText, decodeOpts, recipe.batchSize);
  let network: ReturnType<typeof buildNetwork>;
  try {
    network = buildNetwork(space, arch, decodeOpts);
  } catch (err) {
    if (isAllocationError(err)) throw new Error(explain(err), { cause: err });
    throw err;
  }
  const teacher = recipe.distill ? restoreNetwork(recipe.distill.teacher).network : undefined;
  try {
    const model = describeModel(data, input);
    const info: NetworkInfo = { space: job.spaceRef, arch: archText, input, classes, model };
    const result = train({
      model: network,
      recipe,
      data,
      limitTrain: job.limitTrain,
      stopAfterEpochs: job.stopAfterEpochs,
      test: job.test,
      checkpointDir: job.checkpointDir,
      runInfo: { ...info, flops: cost.flops, params: cost.params },
      // The space by name and the network's size: a space file edited since changes them.
      identity: { space: space.name, arch: archText, input, classes, flops: cost.flops, params: cost.params },
      teacher,
      threads: job.threads,
      onProgress: job.onProgress,
      onEpoch: job.onEpoch,
    });
    const error = result.status === 'failed' && isAllocationError(result.error) ? explain(result.error) : result.error;
    const steps = result.epochs.length * batchesPerEpoch;
    return { ...result, error, arch: archText, flops: cost.flops, params: cost.params, input, steps, model };
  } finally {
    network.dispose();
    teacher?.dispose();
  }
}
