// One way to write a single number for people, wherever a report or the terminal shows one:
// counts (MACs, params) as 38.9M, accuracies stored as fractions as 91.23%, latencies in µs or ms,
// anything else to four significant digits; a missing or non-finite value is '–'. Columns of a
// table use metricScale (one unit per column, the unit in the title), whose cells agree with these.
import { isAccuracyMetric } from './metricScale';

export const MISSING = '–';

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Three significant digits without an exponent: 38.85 -> '38.9', 999.96 -> '1000', 0.1234 -> '0.123'. */
function sig3(v: number): string {
  const a = Math.abs(v);
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return v.toFixed(decimals);
}

/** A count with K, M or G: 38850072 -> '38.9M', 120000 -> '120K', 812 -> '812'. */
export function formatCount(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  const a = Math.abs(v);
  for (const [unit, f] of [
    ['G', 1e9],
    ['M', 1e6],
    ['K', 1e3],
  ] as const) {
    // 999,999 rounds to 1000K at three digits: written as 1.00M instead.
    if (a >= f * 0.9995 && (unit === 'G' || a < f * 999.5)) return `${sig3(v / f)}${unit}`;
  }
  return Number.isInteger(v) ? String(v) : sig3(v);
}

/** A fraction as a percentage: 0.1 -> '10.00%'. */
export function formatPercent(fraction: number | null | undefined, decimals = 2): string {
  return finite(fraction) ? `${(fraction * 100).toFixed(decimals)}%` : MISSING;
}

/** A latency stored in µs: 812 -> '812 µs', 12345 -> '12.3 ms' (as metricScale's µs and ms). */
export function formatLatencyUs(us: number | null | undefined): string {
  if (!finite(us)) return MISSING;
  return Math.abs(us) >= 1000 ? `${sig3(us / 1000)} ms` : `${sig3(us)} µs`;
}

/** Any other number to `digits` significant digits, integers whole: 0.123456 -> '0.1235', 42 -> '42'. */
export function formatPlain(v: number | null | undefined, digits = 4): string {
  if (!finite(v)) return MISSING;
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(+v.toPrecision(digits));
}

/**
 * A stored metric's value by what the metric is: accuracy-like metrics stored as fractions in %,
 * `flops`/`macs`/`params` as counts, `...Us` as latencies, the rest plain.
 */
export function formatValue(metric: string, v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  if (isAccuracyMetric(metric)) return Math.abs(v) <= 1 ? formatPercent(v) : `${v.toFixed(2)}%`;
  if (metric === 'flops' || metric === 'macs' || metric === 'params') return formatCount(v);
  if (/Us$/.test(metric)) return formatLatencyUs(v);
  return formatPlain(v);
}
