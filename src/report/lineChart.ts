/** A line chart over a numeric x axis (training curves), drawn by vega-lite (./vega.ts). */
import { valuesByXSpec, type ValuePoint } from './charts.js';
import { renderSvg } from './vega.js';

export interface Line {
  name: string;
  points: readonly (readonly [number, number])[];
}

export async function lineChartSvg(lines: readonly Line[], title: string, xLabel: string, yLabel: string): Promise<string> {
  const points: ValuePoint[] = lines.flatMap((l) => l.points.map(([x, y]) => ({ series: l.name, x, y })));
  if (points.length === 0) throw new Error('lineChartSvg: no points');
  return (await renderSvg(valuesByXSpec(points, title, yLabel, xLabel, false), 'line')) + '\n';
}

/** Moving average over a window (for noisy per-step training losses). */
export function smooth(points: readonly (readonly [number, number])[], window: number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += (points[i] as readonly [number, number])[1];
    if (i >= window) sum -= (points[i - window] as readonly [number, number])[1];
    if (i >= window - 1 || i === points.length - 1) out.push([(points[i] as readonly [number, number])[0], sum / Math.min(window, i + 1)]);
  }
  return out;
}
