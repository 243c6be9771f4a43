/**
 * The Tier-1 run folder's charts (a reliability diagram, curves over depth), drawn by vega-lite
 * through src/report (the same specs and renderer as `tw report`), so there is one chart module.
 */
import { ratesByDepthSpec, reliabilitySpec, valuesByXSpec, type RatePoint, type ValuePoint } from '../../report/charts.js';
import { renderSvg } from '../../report/vega.js';
import type { CalibrationBin } from './calibration.js';

/** Reliability diagram: per-bin accuracy against mean confidence, with the diagonal. */
export async function reliabilitySvg(bins: readonly CalibrationBin[], title: string, subtitle = ''): Promise<string> {
  const points = bins.map((b) => ({ series: 'tokens', confidence: b.confidence, accuracy: b.accuracy, count: b.count }));
  return renderSvg(reliabilitySpec(points, subtitle ? `${title} (${subtitle})` : title));
}

export interface CurvePoint {
  x: number;
  /** NaN or null where there is no data. */
  y: number | null;
  lo?: number;
  hi?: number;
}
export interface CurveSeries {
  name: string;
  points: CurvePoint[];
  dashed?: boolean;
}

/**
 * Curves over depth: series whose points carry intervals (lo, hi) are drawn as rates in [0, 1]
 * with their intervals; the others as plain values (bits per byte, ECE).
 */
export async function curvesSvg(series: readonly CurveSeries[], _xs: readonly number[], title: string, yLabel: string): Promise<string> {
  const ok = (p: CurvePoint): p is CurvePoint & { y: number } => p.y !== null && Number.isFinite(p.y);
  const withIntervals = series.some((s) => s.points.some((p) => p.lo !== undefined));
  if (withIntervals) {
    const pts: RatePoint[] = series.flatMap((s) =>
      s.points.filter(ok).map((p) => ({ series: s.name, x: p.x, rate: p.y, lo: p.lo ?? p.y, hi: p.hi ?? p.y, ...(s.dashed ? { dashed: true } : {}) })),
    );
    return renderSvg(ratesByDepthSpec(pts, title, yLabel));
  }
  const pts: ValuePoint[] = series.flatMap((s) => s.points.filter(ok).map((p) => ({ series: s.name, x: p.x, y: p.y })));
  return renderSvg(valuesByXSpec(pts, title, yLabel, 'turn depth T'));
}
