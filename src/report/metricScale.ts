// How a metric is shown: its name, the unit it is displayed in and the factor from the stored
// value (accuracy as a fraction -> %, MACs -> M, latency in µs -> µs or ms, params -> M or K).

export interface MetricScale {
  metric: string;
  /** Human name, e.g. 'Test accuracy', 'Latency'. */
  name: string;
  /** Display unit, '' when none, e.g. '%', 'ms', 'M'. */
  unit: string;
  /** Stored value times factor = displayed value. */
  factor: number;
  /** Axis or column title with the unit, e.g. 'Latency (ms)', 'MACs (M)'. */
  title: string;
  /** Number of decimals that suits the displayed values. */
  decimals: number;
}

const NAMES: Record<string, string> = {
  accuracy: 'Accuracy',
  acc: 'Accuracy',
  testAcc: 'Test accuracy',
  valAcc: 'Validation accuracy',
  trainAcc: 'Train accuracy',
  top1: 'Top-1 accuracy',
  top5: 'Top-5 accuracy',
  flops: 'MACs',
  macs: 'MACs',
  params: 'Params',
  latencyUs: 'Latency',
  loss: 'Loss',
  valLoss: 'Validation loss',
  testLoss: 'Test loss',
  trainLoss: 'Train loss',
  trainSeconds: 'Train time',
  imgPerSec: 'Images per second',
};

/** 'expectedLatencyUs' -> 'Expected latency us'. */
function humanize(metric: string): string {
  const words = metric
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function isAccuracyMetric(metric: string): boolean {
  return /acc|top[15]/i.test(metric);
}

function decimalsFor(maxAbs: number): number {
  if (!(maxAbs > 0)) return 2;
  if (maxAbs >= 100) return 1;
  if (maxAbs >= 10) return 2;
  if (maxAbs >= 1) return 2;
  return 3;
}

/** The display scale of `metric` given the values it takes (non-finite values are ignored). */
export function metricScale(metric: string, values: readonly number[] = []): MetricScale {
  const finite = values.filter((v) => Number.isFinite(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const name = NAMES[metric] ?? humanize(metric);
  const make = (unit: string, factor: number, decimals?: number): MetricScale => ({
    metric,
    name,
    unit,
    factor,
    title: unit ? `${name} (${unit})` : name,
    decimals: decimals ?? decimalsFor(maxAbs * factor),
  });
  if (isAccuracyMetric(metric)) {
    // Stored as a fraction (all values in [0, 1]) or already in percent.
    return finite.length && maxAbs > 1 ? make('%', 1, 2) : make('%', 100, 2);
  }
  if (metric === 'flops' || metric === 'macs') return maxAbs >= 1e10 ? make('G', 1e-9) : make('M', 1e-6);
  if (metric === 'params') return maxAbs > 0 && maxAbs < 1e6 ? make('K', 1e-3) : make('M', 1e-6);
  if (/Us$/.test(metric)) return maxAbs >= 1e4 ? make('ms', 1e-3) : make('µs', 1, maxAbs >= 100 ? 0 : 1);
  if (/Ms$/.test(metric)) return make('ms', 1);
  if (/Seconds$/.test(metric)) return make('s', 1);
  // Counts such as epochs: whole numbers, not '3.00'.
  if (finite.length && finite.every((v) => Number.isInteger(v))) return make('', 1, 0);
  return make('', 1);
}

/** The name inside a sentence: 'latency', 'test accuracy', but 'MACs'. */
export function nameInText(scale: MetricScale): string {
  return /^[A-Z][a-z]/.test(scale.name) ? scale.name.charAt(0).toLowerCase() + scale.name.slice(1) : scale.name;
}

/** A stored value in display units with the scale's decimals, '–' when missing; unit appended when `withUnit`. */
export function formatMetric(scale: MetricScale, v: number | undefined | null, withUnit = false): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  const s = (v * scale.factor).toFixed(scale.decimals);
  if (!withUnit || !scale.unit) return s;
  return scale.unit === '%' ? `${s}%` : `${s} ${scale.unit}`;
}
