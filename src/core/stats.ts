/** Small statistics shared by every report: rates always come with a 95% interval. */

export interface Rate {
  passed: number;
  total: number;
  rate: number;
  /** 95% Wilson score interval. */
  lo: number;
  hi: number;
}

/** Wilson score interval for k successes out of n (z = 1.96 for 95%). */
export function wilson(k: number, n: number, z = 1.959963984540054): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

export function rate(passed: number, total: number): Rate {
  const { lo, hi } = wilson(passed, total);
  return { passed, total, rate: total === 0 ? 0 : passed / total, lo, hi };
}

/** "83.3% [71.2–90.9] (25/30)" */
export function formatRate(r: Rate): string {
  const pct = (x: number): string => (100 * x).toFixed(1);
  return `${pct(r.rate)}% [${pct(r.lo)}–${pct(r.hi)}] (${r.passed}/${r.total})`;
}

/** Percentile of a sample (nearest rank on the sorted copy). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] ?? Number.NaN;
}
