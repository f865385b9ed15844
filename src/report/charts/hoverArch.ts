// The architecture as a chart's hover text shows it: whole up to a length a tooltip can hold.

const MAX = 300;

/**
 * Charts of more points than this name the architecture only on the points that matter (the
 * Pareto front): a 1000-point chart with every architecture would double the file.
 */
export const ARCH_ON_HOVER_UP_TO = 400;

export function hoverArch(arch: string): string {
  return arch.length > MAX ? `${arch.slice(0, MAX)}…` : arch;
}
