// One sentence that states a searched network against a reference network trained with the same
// recipe: "2.0x as fast (table latency 2.98 ms against 5.96 ms, -50%) at +0.6 points of test
// accuracy", or "+1.2 points of test accuracy at equal latency", and whether it beats the
// reference: better on one side and no worse on the other (faster and not less accurate, or as
// fast and more accurate), a difference within the training noise counting as none. When both
// networks sit at chance accuracy there is no verdict: they learned nothing to compare, and the
// sentence says so. Pure: plain numbers in, text out.
import { chanceAccuracy, isAtChance } from '../train/chanceNote';

/** What the comparison reads of a network. */
export interface ComparedNetwork {
  name: string;
  /** Test accuracy in [0, 1], or null when unknown. */
  testAcc: number | null;
  /** The latency compared (µs), or null when unknown. */
  latencyUs: number | null;
}

export interface ReferenceComparison {
  text: string;
  /**
   * True when the network is faster (beyond `equalWithin`) and not less accurate, or at equal
   * latency and more accurate; never when both sit at chance accuracy.
   */
  beats: boolean;
  /** reference latency / network latency (2 = twice as fast), or null. */
  speedup: number | null;
  /** Test accuracy difference in points (percentage points), or null. */
  accuracyPoints: number | null;
}

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const pct = (a: number) => `${(a * 100).toFixed(2)}%`;
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(digits)}`;

/** How the accuracies compare, a difference within the noise counting as none. */
type AccuracyOrder = 'higher' | 'equal' | 'lower' | 'unknown';

function accuracyOrder(points: number | null, beyondNoise: boolean | null | undefined): AccuracyOrder {
  if (points === null) return 'unknown';
  if (beyondNoise === false || points === 0) return 'equal';
  return points > 0 ? 'higher' : 'lower';
}

/**
 * Compares `net` with `ref`. Latencies within `equalWithin` (a fraction, default 0.05) of each
 * other count as equal; `latencyKind` names the latency in the text (e.g. 'table latency'),
 * `accuracyKind` the accuracy (default 'test accuracy'; 'mean test accuracy' over repeated runs).
 * `beyondNoise` says whether the accuracy difference is larger than the training noise (false: the
 * accuracies count as equal; unknown: the difference is taken as it is). With `classes`, two
 * networks both at chance accuracy get no verdict.
 */
export function compareToReference(
  net: ComparedNetwork,
  ref: ComparedNetwork,
  o: {
    latencyKind?: string;
    accuracyKind?: string;
    equalWithin?: number;
    beyondNoise?: boolean | null;
    classes?: number | null;
  } = {},
): ReferenceComparison {
  const kind = o.latencyKind ?? 'latency';
  const accuracyKind = o.accuracyKind ?? 'test accuracy';
  const equalWithin = o.equalWithin ?? 0.05;
  const points = net.testAcc !== null && ref.testAcc !== null ? (net.testAcc - ref.testAcc) * 100 : null;
  const speedup =
    net.latencyUs !== null && ref.latencyUs !== null && net.latencyUs > 0 ? ref.latencyUs / net.latencyUs : null;
  const accText =
    points === null
      ? `${accuracyKind} unknown`
      : `${signed(points, 2)} points of ${accuracyKind} (${pct(net.testAcc!)} against ${pct(ref.testAcc!)})`;
  const classes = o.classes ?? null;
  const bothAtChance =
    classes !== null &&
    net.testAcc !== null &&
    ref.testAcc !== null &&
    isAtChance(net.testAcc, classes) &&
    isAtChance(ref.testAcc, classes);
  // Both guessed: the accuracies rank noise, so the sentence says that in place of a verdict.
  const chanceText = bothAtChance
    ? `: both sit at chance accuracy (guessing among ${classes} classes gives ${pct(chanceAccuracy(classes))}), ` +
      'so neither beats the other: train them longer (more epochs or training images) for a comparison'
    : '';
  if (speedup === null) {
    return {
      text: `${net.name} against ${ref.name}: ${accText}; ${kind} unknown${chanceText}`,
      beats: false,
      speedup: null,
      accuracyPoints: points,
    };
  }
  const ratio = net.latencyUs! / ref.latencyUs!;
  const equal = Math.abs(ratio - 1) <= equalWithin;
  const faster = !equal && ratio < 1;
  const latText = `${kind} ${ms(net.latencyUs!)} against ${ms(ref.latencyUs!)}, ${signed((ratio - 1) * 100, 0)}%`;
  const accuracy = accuracyOrder(points, o.beyondNoise);
  const beats =
    !bothAtChance && ((faster && (accuracy === 'higher' || accuracy === 'equal')) || (equal && accuracy === 'higher'));
  let text: string;
  if (equal) text = `${net.name} against ${ref.name}: ${accText} at equal ${kind} (${latText})`;
  else if (ratio < 1) text = `${net.name} is ${speedup.toFixed(2)}x as fast as ${ref.name} (${latText}) at ${accText}`;
  else text = `${net.name} is ${(1 / speedup).toFixed(2)}x as slow as ${ref.name} (${latText}) at ${accText}`;
  if (bothAtChance) text += chanceText;
  else if (beats) text += `: it beats ${ref.name}`;
  else if (!equal && !faster) text += `: it does not beat ${ref.name}, which is faster`;
  else if (accuracy === 'lower') text += `: it misses ${ref.name}'s accuracy by ${Math.abs(points!).toFixed(2)} points`;
  else if (equal && accuracy === 'equal')
    text += `: it does not beat ${ref.name}, which is as fast and as accurate${points !== 0 ? ' within the noise' : ''}`;
  return { text, beats, speedup, accuracyPoints: points };
}
