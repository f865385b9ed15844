// Training checkpoints: one safetensors file holding the model, optimizer state and EMA weights,
// with the run's JSON state in its metadata (one atomic write, so the two can't disagree), and
// a JSON copy of that state beside it for people and tools.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSafetensors, saveSafetensors } from '../engine/safetensors';
import type { Tensor } from '../engine/tensor';
import type { OptimizerMeta } from '../optim/optimizer';

export interface CheckpointState {
  format: 'tsnas-checkpoint/1';
  /** Epochs completed. */
  epoch: number;
  optimizer: OptimizerMeta;
  /** Whatever the caller needs to rebuild the model and continue (recipe, arch, metrics...). */
  run: Record<string, unknown>;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export function saveCheckpoint(
  dir: string,
  state: CheckpointState,
  groups: Record<string, Map<string, Tensor>>,
): string {
  fs.mkdirSync(dir, { recursive: true });
  const all = new Map<string, Tensor>();
  for (const [prefix, tensors] of Object.entries(groups)) for (const [k, t] of tensors) all.set(`${prefix}.${k}`, t);
  const file = path.join(dir, CHECKPOINT_FILE);
  saveSafetensors(file, all, { tsnas: JSON.stringify(state) });
  const json = path.join(dir, 'checkpoint.json');
  fs.writeFileSync(`${json}.tmp`, JSON.stringify(state, null, 2));
  fs.renameSync(`${json}.tmp`, json);
  return file;
}

export interface LoadedCheckpoint {
  state: CheckpointState;
  /** Tensors by group ('model', 'optim', 'ema'); the caller disposes them. */
  groups: Record<string, Map<string, Tensor>>;
}

/** Loads a checkpoint file, or the checkpoint in a run directory. */
export function loadCheckpoint(fileOrDir: string): LoadedCheckpoint {
  const file =
    fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory()
      ? path.join(fileOrDir, CHECKPOINT_FILE)
      : fileOrDir;
  const { tensors, metadata } = loadSafetensors(file);
  let state: CheckpointState;
  try {
    state = JSON.parse(metadata.tsnas ?? '');
  } catch {
    state = null as unknown as CheckpointState;
  }
  if (!state || state.format !== 'tsnas-checkpoint/1' || !Number.isInteger(state.epoch)) {
    for (const t of tensors.values()) t.dispose();
    throw new Error(
      `${file}: a safetensors file, but not a tsnas checkpoint (its 'tsnas' metadata lacks format 'tsnas-checkpoint/1' and an epoch)`,
    );
  }
  const groups: Record<string, Map<string, Tensor>> = {};
  for (const [name, t] of tensors) {
    const dot = name.indexOf('.');
    const g = name.slice(0, dot);
    (groups[g] ??= new Map()).set(name.slice(dot + 1), t);
  }
  return { state, groups };
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, CHECKPOINT_FILE));
}
