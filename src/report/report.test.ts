import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSegments } from './bytesDiff.js';
import { buildReport } from './index.js';
import { probeTableFromMarkdown } from './sources.js';

const ROOT = join(import.meta.dirname, '..', '..');
const charts = (html: string): string[] => [...html.matchAll(/<figure class="chart" data-chart="([^"]+)"><svg/g)].map((m) => m[1] ?? '');

describe('tw report', () => {
  it("reports the shipped default's committed results: every section, every chart, no notes", async () => {
    const drawn = new Map<string, string>();
    const { html, loaded } = await buildReport([], { root: ROOT, charts: drawn });
    expect(loaded.notes).toEqual([]);
    expect([...drawn.keys()].sort()).toEqual(charts(html).sort()); // what `tw report --charts DIR` writes
    for (const svg of drawn.values()) expect(svg).toMatch(/^<svg [^>]*viewBox/);
    expect(loaded.parts.map((p) => p.kind).sort()).toEqual([
      'bench',
      'card',
      'conformance',
      'probe',
      'probeTable',
      'tier1',
      'tier1',
      'tier1',
      'tier1',
      'tier1',
    ]);
    expect(charts(html)).toEqual(
      expect.arrayContaining([
        'exact-free',
        'exact-teacher',
        'exact-nonempty',
        'state-accuracy',
        'bits-per-byte',
        'reliability-teacher',
        'reliability-free',
        'per-family',
        'recovery',
        'probe-categories',
        'conformance-files',
        'training-curve',
      ]),
    );
    expect(html).toContain('67.7%'); // terminal-state, free-running, all depths (README)
    expect(html).toContain('66.6%'); // terminal-small, the previous default, beside it
    expect(html).toContain('71.6%'); // just-bash's aggregate, from docs/probes.md
    expect(html).toMatch(/data-probe="fs-mkdir-then-ls"/);
    // self-contained: no script, no external reference
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(Buffer.byteLength(html)).toBeLessThan(5 << 20);
  }, 60_000);

  it('renders the rest when a part is missing, of another version, or broken, and says which', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-report-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    cpSync(join(ROOT, 'docs/results/tier1-learned-test.json'), join(run, 'results.json'));
    writeFileSync(join(run, 'probe.json'), JSON.stringify({ format: 'tw-probe-report', version: 2, backend: 'learned' }));
    writeFileSync(join(run, 'conformance.json'), JSON.stringify({ format: 'tw-conformance-report', version: 1, backend: 'x', overall: { passed: 1 } }));
    writeFileSync(join(run, 'broken.json'), '{"format": "terminalworld.bench", ');
    writeFileSync(join(run, 'unrelated.json'), JSON.stringify({ hello: 1 }));
    const { html, loaded } = await buildReport([run, join(dir, 'nope')]);
    const notes = loaded.notes.map((n) => `${n.part}: ${n.message}`);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Tier 2: format tw-probe-report version 2; this report reads version 1/),
        expect.stringMatching(/^conformance: .*does not match its format \(field overall\./),
        expect.stringMatching(/^results: not readable as JSON/),
        expect.stringMatching(/^run folder: does not exist/),
      ]),
    );
    expect(notes).toHaveLength(4);
    expect(html).toContain('id="notes"');
    expect(charts(html)).toContain('exact-free'); // Tier 1 still drawn
    expect(html).toMatch(/No probe results in the sources/);
  }, 60_000);

  it('compares two run folders with the same labels by naming their folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-report-'));
    for (const [n, f] of [
      ['a', 'tier1-stage2-test.json'],
      ['b', 'tier1-learned-test.json'],
    ] as const) {
      mkdirSync(join(dir, n));
      cpSync(join(ROOT, 'docs/results', f), join(dir, n, 'results.json'));
    }
    const { loaded } = await buildReport([join(dir, 'a'), join(dir, 'b')]);
    const labels = loaded.parts.filter((p) => p.kind === 'tier1').map((p) => p.label);
    expect(labels).toHaveLength(2);
    expect(labels[0]).not.toBe(labels[1]);
  }, 60_000);
});

describe('report → viewer links', () => {
  it('links each failing probe to a running tw view when --viewer is given', async () => {
    const { html } = await buildReport([join(ROOT, 'docs/results/probe-learned.json')], { viewerUrl: 'http://127.0.0.1:8080/' });
    expect(html).toContain('href="http://127.0.0.1:8080/#probe=fs-mkdir-then-ls"');
    expect(html.match(/class="view" href=/g)?.length).toBe(151);
  }, 60_000);
});

describe('report helpers', () => {
  it('reads a rates column from a markdown table', () => {
    const r = probeTableFromMarkdown(join(ROOT, 'docs/probes.md'), 'justbash');
    expect('categories' in r && r.categories.filesystem).toEqual({ passed: 16, total: 24, rate: 0.667, lo: 0.467, hi: 0.82 });
  });
  it('marks byte differences in visible form', () => {
    expect(diffSegments('ab\r\n', 'ax\r\n')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'ins', text: 'x' },
      { op: 'same', text: '\\r⏎\n' },
    ]);
  });
});
