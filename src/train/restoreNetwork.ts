// Rebuilds a trained network from a checkpoint: the checkpoint's run info names the space, the
// architecture and the input, so the same builder makes the same network and the weights load.
import { dispose } from '../engine/memory';
import { buildNetwork, type Network } from '../builder/buildNetwork';
import { parseArch } from '../space/archFormat';
import { loadSpace } from '../space/registry';
import type { ModelDescription } from '../data/modelDescription';
import { loadCheckpoint, readCheckpointState, type CheckpointState } from './checkpoint';

/** What the trainer stores so a network can be rebuilt (TrainJob.runInfo). */
export interface NetworkInfo {
  space: string;
  arch: string;
  input: [number, number, number];
  classes: number;
  /**
   * Class names, input layout, mean and std (data/modelDescription.ts); absent in checkpoints
   * written before tsnas recorded it.
   */
  model?: ModelDescription;
}

/** The space and architecture a checkpoint holds, read from its metadata without loading its tensors. */
export function checkpointSpace(fileOrDir: string): NetworkInfo {
  const state = readCheckpointState(fileOrDir);
  const info = state.run as unknown as NetworkInfo;
  if (typeof info?.space !== 'string' || typeof info.arch !== 'string')
    throw new Error(
      `${fileOrDir}: the checkpoint does not say which network it holds (space, arch, input); it was not written by 'tsnas train'`,
    );
  return info;
}

export function restoreNetwork(fileOrDir: string): { network: Network; state: CheckpointState; info: NetworkInfo } {
  const ck = loadCheckpoint(fileOrDir);
  try {
    const info = ck.state.run as unknown as NetworkInfo;
    if (typeof info.space !== 'string' || typeof info.arch !== 'string' || !Array.isArray(info.input)) {
      throw new Error(
        `${fileOrDir}: the checkpoint does not say which network it holds (space, arch, input); it was not written by 'tsnas train'`,
      );
    }
    const space = loadSpace(info.space);
    const network = buildNetwork(space, parseArch(space, info.arch), { input: info.input, classes: info.classes });
    // Evaluate with the averaged weights when the run kept an EMA.
    const weights = ck.groups.ema ?? ck.groups.model;
    if (!weights) throw new Error(`${fileOrDir}: the checkpoint holds no model weights`);
    try {
      network.loadStateDict(weights);
    } catch (e) {
      network.dispose();
      throw new Error(`${fileOrDir}: weights do not fit ${info.space} ${info.arch}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return { network, state: ck.state, info };
  } finally {
    for (const g of Object.values(ck.groups)) dispose(g);
  }
}
