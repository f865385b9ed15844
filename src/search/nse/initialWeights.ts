// The initial weights W0 the angle score measures from (`options.score` angle or mixed), kept as ABS
// keeps them: an op's W0 is its initialisation in the round it entered, and it travels with the op
// as its trained weights do; the stem, head and classifier keep round 0's. Each round writes the
// W0 of its whole supernet to round-<r>/initial-weights.safetensors before it trains: the
// inherited tensors' from the previous round's file, the new ops' from the fresh construction. A
// resumed round reads its file back, so it measures from what the uninterrupted run did.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keep } from '../../engine/memory';
import { makeDirs } from '../../io/outputPath';
import { loadSafetensors, saveSafetensors } from '../../engine/safetensors';
import type { Tensor } from '../../engine/tensor';
import { disposeSnapshot, snapshotWeights } from '../../supernet/pathAngle';
import type { SupernetNetwork } from '../../supernet/supernetNetwork';

export const INITIAL_WEIGHTS_FILE = 'initial-weights.safetensors';

/**
 * W0 of a round's supernet, which must have just been constructed (its weights are still the
 * initialisation). `roundDir` is the round's checkpoint directory, `previousDir` the last round's
 * (null in round 0). The caller disposes the result (disposeSnapshot).
 */
export function roundInitialWeights(
  supernet: SupernetNetwork,
  roundDir: string,
  previousDir: string | null,
): Map<string, Tensor> {
  const file = path.join(roundDir, INITIAL_WEIGHTS_FILE);
  if (fs.existsSync(file)) return keep(loadSafetensors(file).tensors);
  const w0 = snapshotWeights(supernet);
  if (previousDir) {
    const prevFile = path.join(previousDir, INITIAL_WEIGHTS_FILE);
    if (!fs.existsSync(prevFile)) {
      disposeSnapshot(w0);
      throw new Error(
        `nse: ${prevFile} is missing: the angle score needs the initial weights of the ops the last round passed on; rerun the study from the start`,
      );
    }
    const prev = keep(loadSafetensors(prevFile).tensors);
    for (const [name, t] of prev) {
      if (w0.has(name)) {
        w0.get(name)!.dispose();
        w0.set(name, t);
      } else t.dispose();
    }
  }
  makeDirs(roundDir);
  saveSafetensors(file, w0);
  return w0;
}
