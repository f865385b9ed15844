// One sentence that states a searched network against a reference network trained with the same
// recipe: "2.0x as fast (table latency 2.98 ms against 5.96 ms, -50%) at +0.6 points of test
// accuracy", or "+1.2 points of test accuracy at equal latency", and whether it beats the
// reference (no slower and at least as accurate). Pure: plain numbers in, text out.

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
  /** True when the network is no slower than the reference (within `equalWithin`) and at least as accurate. */
  beats: boolean;
  /** reference latency / network latency (2 = twice as fast), or null. */
  speedup: number | null;
  /** Test accuracy difference in points (percentage points), or null. */
  accuracyPoints: number | null;
}

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const pct = (a: number) => `${(a * 100).toFixed(2)}%`;
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(digits)}`;

/**
 * Compares `net` with `ref`. Latencies within `equalWithin` (a fraction, default 0.05) of each
 * other count as equal; `latencyKind` names the latency in the text (e.g. 'table latency'),
 * `accuracyKind` the accuracy (default 'test accuracy'; 'mean test accuracy' over repeated runs).
 */
export function compareToReference(
  net: ComparedNetwork,
  ref: ComparedNetwork,
  o: { latencyKind?: string; accuracyKind?: string; equalWithin?: number } = {},
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
  if (speedup === null) {
    return {
      text: `${net.name} against ${ref.name}: ${accText}; ${kind} unknown`,
      beats: false,
      speedup: null,
      accuracyPoints: points,
    };
  }
  const ratio = net.latencyUs! / ref.latencyUs!;
  const equal = Math.abs(ratio - 1) <= equalWithin;
  const latText = `${kind} ${ms(net.latencyUs!)} against ${ms(ref.latencyUs!)}, ${signed((ratio - 1) * 100, 0)}%`;
  const noSlower = ratio <= 1 + equalWithin;
  const beats = noSlower && points !== null && points >= 0;
  let text: string;
  if (equal) text = `${net.name} against ${ref.name}: ${accText} at equal ${kind} (${latText})`;
  else if (ratio < 1) text = `${net.name} is ${speedup.toFixed(2)}x as fast as ${ref.name} (${latText}) at ${accText}`;
  else text = `${net.name} is ${(1 / speedup).toFixed(2)}x as slow as ${ref.name} (${latText}) at ${accText}`;
  if (points !== null && points < 0 && noSlower)
    text += `: it misses ${ref.name}'s accuracy by ${Math.abs(points).toFixed(2)} points`;
  else if (!noSlower) text += `: it does not beat ${ref.name}, which is faster`;
  else if (beats) text += `: it beats ${ref.name}`;
  return { text, beats, speedup, accuracyPoints: points };
}
