// The Gumbel-softmax temperature schedule of FBNet: tau starts at 5.0 and is multiplied by
// exp(-0.045) (about 0.956) after every epoch, warm-up epochs included. A pure function of the
// epoch, so a resumed search uses the same temperatures as an uninterrupted one.

export interface TemperatureSchedule {
  /** Temperature of the first epoch (5.0 in the paper). */
  tau0: number;
  /** Per-epoch decay rate: tau is multiplied by exp(-decay) after each epoch (0.045). */
  decay: number;
}

export const FBNET_TEMPERATURE: TemperatureSchedule = { tau0: 5.0, decay: 0.045 };

/** The temperature used during an epoch, after `epochsDone` completed epochs (0 for the first). */
export function temperatureAt(epochsDone: number, s: TemperatureSchedule = FBNET_TEMPERATURE): number {
  if (!(epochsDone >= 0)) throw new Error(`temperatureAt: epochs done must be >= 0, got ${epochsDone}`);
  return s.tau0 * Math.exp(-s.decay * epochsDone);
}
