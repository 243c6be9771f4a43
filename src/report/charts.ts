/**
 * The report's charts as vega-lite specs (rendered to SVG by ./vega.ts). Each builder takes plain
 * rows, so that the same chart serves one run or several compared side by side.
 */
import type { TopLevelSpec } from 'vega-lite';

const WIDTH = 460;
const HEIGHT = 260;
const LEGEND = { orient: 'bottom' as const, direction: 'vertical' as const, columns: 1, labelLimit: 0, symbolOpacity: 1 };
const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  padding: 8,
  config: {
    font: FONT,
    view: { stroke: '#ccc' },
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 0 },
    title: { fontSize: 13, anchor: 'start' as const },
  },
};

/** One point of a rate with its 95% interval. */
export interface RatePoint {
  series: string;
  x: string | number;
  rate: number;
  lo: number;
  hi: number;
  /** A baseline drawn dashed (null, floors). */
  dashed?: boolean;
  /** "k/n" for the tooltip-less SVG: shown nowhere but kept in the data for the HTML tables. */
  count?: string;
}

/** Rates over depth (an ordinal x), one line per series, with the 95% intervals as vertical rules. */
export function ratesByDepthSpec(points: readonly RatePoint[], title: string, yTitle: string, xTitle = 'turn depth T'): TopLevelSpec {
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => Number(a) - Number(b)).map(String);
  const values = points.map((p) => ({ ...p, x: String(p.x), style: p.dashed ? 'baseline' : 'measured' }));
  const x = { field: 'x', type: 'ordinal' as const, sort: xs, title: xTitle, axis: { labelAngle: 0 } };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND };
  return {
    ...base,
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      {
        mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'rate', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] }, axis: { format: '%' } },
          color,
          strokeDash: {
            field: 'style',
            type: 'nominal',
            legend: null,
            scale: {
              domain: ['measured', 'baseline'],
              range: [
                [1, 0],
                [5, 3],
              ],
            },
          },
        },
      },
      { mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.45 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    ],
  };
}

/** A plain value per x, one line per series (bits per byte by depth, ECE by depth). */
export interface ValuePoint {
  series: string;
  x: number | string;
  y: number;
}

export function valuesByXSpec(points: readonly ValuePoint[], title: string, yTitle: string, xTitle: string, ordinalX = true): TopLevelSpec {
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => Number(a) - Number(b)).map(String);
  const values = points.filter((p) => Number.isFinite(p.y)).map((p) => ({ ...p, x: ordinalX ? String(p.x) : p.x }));
  const x = ordinalX
    ? { field: 'x', type: 'ordinal' as const, sort: xs, title: xTitle, axis: { labelAngle: 0 } }
    : { field: 'x', type: 'quantitative' as const, title: xTitle };
  return {
    ...base,
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: ordinalX ? { filled: true, size: 36 } : false, strokeWidth: ordinalX ? 2 : 1.5 },
    encoding: { x, y: { field: 'y', type: 'quantitative', title: yTitle }, color: { field: 'series', type: 'nominal', title: null, legend: LEGEND } },
  };
}

/** Grouped bars with 95% intervals: one group per category/family, one bar per series. */
export function groupedRatesSpec(
  points: readonly RatePoint[],
  title: string,
  yTitle: string,
  groupTitle: string,
  seriesOrder?: readonly string[],
): TopLevelSpec {
  const groups = [...new Set(points.map((p) => String(p.x)))];
  const series = seriesOrder ? seriesOrder.filter((s) => points.some((p) => p.series === s)) : [...new Set(points.map((p) => p.series))];
  const values = points.map((p) => ({ ...p, x: String(p.x) }));
  const x = { field: 'x', type: 'nominal' as const, sort: groups, title: groupTitle, axis: { labelAngle: -30 } };
  const xOffset = { field: 'series', type: 'nominal' as const, sort: series };
  const color = { field: 'series', type: 'nominal' as const, sort: series, title: null, legend: LEGEND };
  return {
    ...base,
    title,
    width: Math.max(WIDTH, groups.length * Math.max(40, series.length * 14)),
    height: HEIGHT,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: { x, xOffset, y: { field: 'rate', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] }, axis: { format: '%' } }, color },
      },
      { mark: { type: 'rule', color: '#333', strokeWidth: 1 }, encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}

/** One reliability-diagram bin: mean confidence against accuracy. */
export interface ReliabilityPoint {
  series: string;
  confidence: number;
  accuracy: number;
  count: number;
}

export function reliabilitySpec(points: readonly ReliabilityPoint[], title: string): TopLevelSpec {
  const values = points.filter((p) => p.count > 0 && Number.isFinite(p.confidence) && Number.isFinite(p.accuracy));
  const unit = { field: 'confidence', type: 'quantitative' as const, title: 'confidence (max p)', scale: { domain: [0, 1] } };
  return {
    ...base,
    title,
    width: 360,
    height: 300,
    layer: [
      {
        data: {
          values: [
            { confidence: 0, accuracy: 0 },
            { confidence: 1, accuracy: 1 },
          ],
        },
        mark: { type: 'line', color: '#999', strokeDash: [4, 3] },
        encoding: { x: unit, y: { field: 'accuracy', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: { filled: true }, strokeWidth: 1.5 },
        encoding: {
          x: unit,
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (argmax right)', scale: { domain: [0, 1] } },
          color: { field: 'series', type: 'nominal', title: null, legend: LEGEND },
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, opacity: 0.35 },
        encoding: {
          x: unit,
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: null },
          size: { field: 'count', type: 'quantitative', title: 'tokens', scale: { type: 'sqrt', range: [10, 600] } },
        },
      },
    ],
  };
}

/** Horizontal bars of rates, one per row, sorted by rate (conformance per spec file). */
export function horizontalRatesSpec(
  rows: readonly { name: string; rate: number; passed: number; total: number; series: string }[],
  title: string,
): TopLevelSpec {
  const names = [...new Set(rows.map((r) => r.name))];
  return {
    ...base,
    title,
    width: 420,
    height: { step: 11 },
    data: { values: [...rows] },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'name', type: 'nominal', sort: names, title: null, axis: { labelFontSize: 9 } },
      yOffset: { field: 'series', type: 'nominal' },
      x: { field: 'rate', type: 'quantitative', title: 'cases passing', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}
