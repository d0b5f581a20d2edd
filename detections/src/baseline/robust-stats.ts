import { median, medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';

/** Robust summary of a sample: median, MAD-based spread and upper quantiles. */
export interface RobustSummary {
  n: number;
  median: number;
  /** Median absolute deviation scaled by 1.4826, a robust stand-in for the standard deviation. */
  sigma: number;
  p95: number;
  p99: number;
  max: number;
}

/** Summarises values (not mutated). Returns null for an empty sample. */
export function summarise(values: readonly number[]): RobustSummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: median(sorted),
    sigma: 1.4826 * medianAbsoluteDeviation(sorted),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Threshold above which a value is "far above baseline": the largest of a robust z-score bound
 * (median + k·sigma), a multiple of the median, a multiple of the historical p99 and an absolute floor.
 * Several bounds because each alone fails somewhere: MAD is 0 for very regular agents, multiples of a
 * tiny median are noise, and p99 of a short history is unstable.
 */
export function spikeThreshold(s: RobustSummary, opts: { k: number; medianFactor: number; p99Factor: number; floor: number }): number {
  return Math.max(s.median + opts.k * s.sigma, s.median * opts.medianFactor, s.p99 * opts.p99Factor, opts.floor);
}
