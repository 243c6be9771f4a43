/**
 * Charts: vega-lite specs compiled to vega and rendered to SVG in Node (no browser, no canvas:
 * vega's headless renderer estimates text widths). Every chart of `tw report` and the model
 * card's training curve goes through here.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

let chartCounter = 0;

/** Render a vega-lite spec to an SVG string. Element ids are made unique per chart (clip paths,
 *  gradients), so that many charts can be inlined into one HTML page. */
export async function renderSvg(spec: TopLevelSpec, idPrefix = `c${++chartCounter}`): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: 0 });
  try {
    const svg = await view.toSVG();
    return prefixIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

/** Rename every id="x" to id="P-x" and every url(#x) / href="#x" to match. */
export function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`);
}
