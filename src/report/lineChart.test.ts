import { describe, expect, it } from 'vitest';
import { lineChartSvg, smooth } from './lineChart.js';

describe('lineChartSvg', () => {
  it('draws one line per series with its legend (vega-lite, rendered in Node)', async () => {
    const svg = await lineChartSvg(
      [
        {
          name: 'train',
          points: [
            [0, 4],
            [100, 1],
          ],
        },
        {
          name: 'valid',
          points: [
            [50, 2],
            [100, 1.5],
          ],
        },
      ],
      'loss',
      'step',
      'nats',
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/role-mark[^"]*"[^>]*>\s*<path/g)?.length ?? svg.match(/<path[^>]*d="M/g)?.length).toBeGreaterThanOrEqual(2);
    expect(svg).toContain('>train<');
    expect(svg).toContain('>valid<');
    expect(svg).toContain('>loss<');
  });
  it('refuses an empty chart', async () => {
    await expect(lineChartSvg([], 't', 'x', 'y')).rejects.toThrow(/no points/);
  });
});

describe('smooth', () => {
  it('averages over the window', () => {
    expect(
      smooth(
        [
          [1, 1],
          [2, 3],
          [3, 5],
          [4, 7],
        ],
        2,
      ),
    ).toEqual([
      [2, 2],
      [3, 4],
      [4, 6],
    ]);
  });
});
