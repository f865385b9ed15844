// Training checkpoints: one safetensors file holding the model, optimizer state and EMA weights,
// with the run's JSON state in its metadata (one atomic write, so the two can't disagree), and
// a JSON copy of that state beside it for people and tools.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from '../engine/safetensors';
import type { Tensor } from '../engine/tensor';
import type { OptimizerMeta } from '../optim/optimizer';
import { makeDirs } from '../io/outputPath';
import { outputFileError, writeOutputFile } from '../io/writeOutputFile';

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
  const all = new Map<string, Tensor>();
  for (const [prefix, tensors] of Object.entries(groups)) for (const [k, t] of tensors) all.set(`${prefix}.${k}`, t);
  const file = path.join(dir, CHECKPOINT_FILE);
  const fix =
    'the last checkpoint written is kept; free some space or fix the directory, then run the same command to resume';
  try {
    makeDirs(dir);
    saveSafetensors(file, all, { tsnas: JSON.stringify(state) });
  } catch (err) {
    throw outputFileError(file, 'checkpoint', err, fix);
  }
  writeOutputFile(path.join(dir, 'checkpoint.json'), JSON.stringify(state, null, 2), 'checkpoint state', fix);
  return file;
}

export interface LoadedCheckpoint {
  state: CheckpointState;
  /** Tensors by group ('model', 'optim', 'ema'); the caller disposes them. */
  groups: Record<string, Map<string, Tensor>>;
}

/** The checkpoint file of a run directory (or the file itself). */
export function checkpointFile(fileOrDir: string): string {
  return fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory()
    ? path.join(fileOrDir, CHECKPOINT_FILE)
    : fileOrDir;
}

function stateOf(metadata: Record<string, string>, file: string): CheckpointState {
  let state: CheckpointState;
  try {
    state = JSON.parse(metadata.tsnas ?? '');
  } catch {
    state = null as unknown as CheckpointState;
  }
  if (!state || state.format !== 'tsnas-checkpoint/1' || !Number.isInteger(state.epoch)) {
    throw new Error(
      `${file}: a safetensors file, but not a tsnas checkpoint (its 'tsnas' metadata lacks format 'tsnas-checkpoint/1' and an epoch)`,
    );
  }
  return state;
}

/** A checkpoint's state (what run it is, after which epoch) without loading its tensors. */
export function readCheckpointState(fileOrDir: string): CheckpointState {
  const file = checkpointFile(fileOrDir);
  return stateOf(readSafetensorsMetadata(file), file);
}

/** Loads a checkpoint file, or the checkpoint in a run directory. */
export function loadCheckpoint(fileOrDir: string): LoadedCheckpoint {
  const file = checkpointFile(fileOrDir);
  const { tensors, metadata } = loadSafetensors(file);
  let state: CheckpointState;
  try {
    state = stateOf(metadata, file);
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
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

/** A checkpoint of another run than the one asked for: refused before anything is loaded or written. */
export class CheckpointMismatchError extends Error {}

const show = (v: unknown): string => {
  if (v === undefined) return 'not recorded';
  const t = JSON.stringify(v);
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
};

/**
 * The fields in which a checkpoint's recorded identity differs from the run asked for, as
 * "field: X in the checkpoint, Y now"; an object field (the recipe) is compared field by field.
 */
export function identityDifferences(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(now), ...Object.keys(saved)])) {
    const a = saved[k];
    const b = now[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const isMap = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isMap(a) && isMap(b)) {
      for (const d of identityDifferences(a as Record<string, unknown>, b as Record<string, unknown>))
        out.push(`${k}.${d}`);
    } else {
      out.push(`${k}: ${show(a)} in the checkpoint, ${show(b)} now`);
    }
  }
  return out;
}

/**
 * Throws CheckpointMismatchError unless the checkpoint in `dir` records the same run identity
 * (what defines the run: network, input, data, recipe...) as `now`.
 */
export function checkRunIdentity(state: CheckpointState, now: Record<string, unknown>, dir: string): void {
  const saved = state.run.identity as Record<string, unknown> | undefined;
  if (!saved || typeof saved !== 'object') {
    throw new CheckpointMismatchError(
      `${path.join(dir, CHECKPOINT_FILE)} does not record which run it belongs to (written by an older tsnas or another tool), ` +
        `so it cannot be resumed as this run: give another run directory, or remove ${dir} to start this run there`,
    );
  }
  const diff = identityDifferences(saved, now);
  if (diff.length) {
    const more = diff.length > 6 ? `; and ${diff.length - 6} more` : '';
    throw new CheckpointMismatchError(
      `${dir} holds the checkpoint of another run (${diff.slice(0, 6).join('; ')}${more}): a run directory resumes only the same run ` +
        `(architecture, input, data, recipe); give another run directory, or remove ${dir} to start this run there`,
    );
  }
}
