import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { twErrorOf } from '../../core/testkit.js';
import { checkCategory, loadProbes, parseProbeFile } from './loader.js';
import { CATEGORIES } from './schema.js';

describe('probe loader', () => {
  it('loads the repository probes: 150+ in all, 15+ per category, unique ids', () => {
    const ps = loadProbes();
    expect(ps.length).toBeGreaterThanOrEqual(150);
    for (const c of CATEGORIES) expect(ps.filter((p) => p.category === c).length).toBeGreaterThanOrEqual(15);
    expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
  });

  it('fills defaults: pty mode, exact grade, 8 samples, determinism on', () => {
    const [p] = parseProbeFile('- id: a-b\n  description: d\n  turns:\n    - cmd: echo hi\n', 'x/y.yaml', 'operators');
    expect(p).toMatchObject({ id: 'a-b', mode: 'pty', samples: 8, deterministic: true, setup: [], category: 'operators', file: 'x/y.yaml' });
    expect(p?.turns[0]?.grade).toBe('exact');
  });

  it('a schema error names the file, the probe and the field', () => {
    const e = twErrorOf(() => parseProbeFile('- id: bad-one\n  description: d\n  turns:\n    - cmd: false\n', 'errors/x.yaml', 'errors'));
    expect(e.message).toContain('errors/x.yaml');
    expect(e.message).toContain('probe "bad-one"');
    expect(e.message).toContain('field "turns.0.cmd"');
    expect(e.hint).toMatch(/docs\/probes.md/);
  });

  it('state grading without state probes is rejected with the field named', () => {
    const e = twErrorOf(() => parseProbeFile('- id: s\n  description: d\n  turns:\n    - { cmd: ls, grade: state }\n', 'f.yaml', 'filesystem'));
    expect(e.message).toContain('field "turns.0.state"');
  });

  it('unknown keys, bad ids and ungraded probes are rejected', () => {
    expect(twErrorOf(() => parseProbeFile('- id: s\n  description: d\n  colour: red\n  turns: [{cmd: ls}]\n', 'f.yaml', 'filesystem')).message).toMatch(
      /colour/,
    );
    expect(twErrorOf(() => parseProbeFile('- id: Bad_Id\n  description: d\n  turns: [{cmd: ls}]\n', 'f.yaml', 'filesystem')).message).toContain('field "id"');
    expect(twErrorOf(() => parseProbeFile('- id: s\n  description: d\n  turns: [{cmd: ls, grade: none}]\n', 'f.yaml', 'filesystem')).message).toMatch(
      /at least one turn must be graded/,
    );
  });

  it('bad YAML and a non-list file are errors that name the file', () => {
    expect(twErrorOf(() => parseProbeFile('- id: [unclosed', 'a.yaml', 'errors')).message).toMatch(/a.yaml: not valid YAML/);
    expect(twErrorOf(() => parseProbeFile('id: x', 'b.yaml', 'errors')).message).toMatch(/b.yaml: expected a YAML list/);
  });

  it('duplicate ids across files are rejected', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'probes-'));
    mkdirSync(path.join(root, 'errors'));
    const probe = '- id: same\n  description: d\n  turns: [{cmd: ls}]\n';
    writeFileSync(path.join(root, 'errors', 'a.yaml'), probe);
    writeFileSync(path.join(root, 'errors', 'b.yaml'), probe);
    expect(twErrorOf(() => loadProbes({ root })).message).toMatch(/duplicate, already used in errors\/a.yaml/);
  });

  it('an unknown category lists the valid ones', () => {
    const e = twErrorOf(() => checkCategory('filesytem'));
    expect(e.hint).toContain('filesystem, hallucination, nondeterminism, errors, operators, environment, adversarial');
  });
});
