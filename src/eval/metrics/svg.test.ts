import { describe, expect, it } from 'vitest';
import { CalibrationAccumulator } from './calibration.js';
import { curvesSvg, reliabilitySvg } from './svg.js';

describe('run-folder charts (vega-lite)', () => {
  it('draws a reliability diagram with a point per non-empty bin, and escapes the title', async () => {
    const acc = new CalibrationAccumulator(10);
    acc.addToken(0.95, true, 0.95, 0.9);
    acc.addToken(0.55, false, 0.2, 0.4);
    const svg = await reliabilitySvg(acc.result().bins, 'model <small> & co');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('model &lt;small&gt; &amp; co');
    // the two non-empty bins: one symbol each in the layer sized by token count
    expect(svg.match(/aria-label="[^"]*; tokens: \d+/g)?.length).toBe(2);
  });

  it('draws one line per series with data, skipping missing points, with its intervals', async () => {
    const svg = await curvesSvg(
      [
        {
          name: 'learned',
          points: [
            { x: 1, y: 0.9, lo: 0.8, hi: 0.95 },
            { x: 3, y: null },
            { x: 10, y: 0.5 },
          ],
        },
        { name: 'null', points: [{ x: 1, y: NaN }], dashed: true },
      ],
      [1, 3, 10, 25, 50],
      'exact match',
      'rate',
    );
    const lines = svg.match(/aria-roledescription="line mark" d="[^"]+"/g) ?? [];
    expect(lines.length).toBe(1); // 'null' has no finite point
    expect(lines[0]).toMatch(/d="M[\d.]+,[\d.]+L[\d.]+,[\d.]+"/); // two points: x=3 is skipped
    expect(svg).toContain('series: learned');
    expect(svg).not.toContain('series: null');
  });
});
