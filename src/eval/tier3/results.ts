/**
 * Tier-3 results: format `terminalworld.tier3-results`, version 1.
 *   { format, version, full, config, policyParams,
 *     bounds: { expert|null: { <split>: Rate & {perFamily} } },
 *     arms:   { <arm>: { success, lo, hi, n, passed, perSeed: [...], perFamily, heldOutCE, split: { <split>: Rate } } },
 *     data, timings, markdown }
 * An arm's headline (`success`, `lo`, `hi`, `n`) is the eval split of the training families,
 * pooled over seeds (every seed's policy on the same eval tasks; the interval is Wilson's on the
 * pooled episodes, so it understates seed-to-seed spread: the per-seed rates are beside it).
 */
import { z } from 'zod';
import { jsonNumber } from '../../core/jsonfile.js';
import { formatRate, rate, type Rate } from '../../core/stats.js';
import { paramCount } from '../../model/config.js';
import type { EpisodeResult } from './episode.js';
import type { Tier3Config } from './runner.js';

export const TIER3_RESULTS_FORMAT = 'terminalworld.tier3-results';
export const TIER3_RESULTS_VERSION = 1;

export interface ArmEval {
  arm: string;
  seed: number;
  train: { heldOutCE: { obs: number; action: number }; seconds: number; lossTokens: number; slots: number; epochs: number; trajectories: number };
  episodes: Record<string, EpisodeResult[]>;
}

export type SplitRate = Rate & { perFamily: Record<string, Rate> };

/** An arm's train.json as the run folder keeps it, validated when a resumed run reads it back. */
export const armTrainSchema: z.ZodType<ArmEval['train']> = z.looseObject({
  heldOutCE: z.looseObject({ obs: jsonNumber, action: jsonNumber }),
  seconds: jsonNumber,
  lossTokens: z.number(),
  slots: z.number(),
  epochs: jsonNumber,
  trajectories: z.number().int().nonnegative(),
});

/** What `tw tier3 report` reads of results.json. */
export const resultsSummarySchema = z.looseObject({
  format: z.string(),
  version: z.number(),
  name: z.string(),
  full: z.boolean(),
  markdown: z.string(),
  arms: z.record(z.string(), z.looseObject({ success: jsonNumber, lo: jsonNumber, hi: jsonNumber, n: z.number() })),
  bounds: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type ResultsSummary = z.output<typeof resultsSummarySchema>;

export interface ArmRow {
  /** share of eval episodes whose first command is exactly the expert's first command on that task
   *  (a partial-progress measure that still separates policies when none solves a task) */
  firstAction: Rate;
  /** share of eval episodes in which the policy declared the task done */
  declaredDone: Rate;
  success: number;
  lo: number;
  hi: number;
  n: number;
  passed: number;
  perSeed: { seed: number; rate: number; passed: number; n: number; obsCE: number; actionCE: number; trainSeconds: number }[];
  splits: Record<string, SplitRate>;
  obsCE: number;
  actionCE: number;
  trajectories: number;
  lossTokensPerSeed: number;
  tokenSlotsPerSeed: number;
}

export interface Results {
  format: string;
  version: number;
  full: boolean;
  name: string;
  policyParams: number;
  bounds: Record<string, Record<string, SplitRate>>;
  arms: Record<string, ArmRow>;
  data: Record<string, number>;
  /** RL runs' greedy success on the curve's eval instances, per seed and step */
  rlCurves: Record<string, { seed: number; step: number; passed: number; n: number }[]>;
  timings: Record<string, number>;
  markdown: string;
}

export function splitRate(eps: readonly EpisodeResult[]): SplitRate {
  const fams = [...new Set(eps.map((e) => e.family))].sort();
  const perFamily: Record<string, Rate> = {};
  for (const f of fams) {
    const xs = eps.filter((e) => e.family === f);
    perFamily[f] = rate(xs.filter((e) => e.success === true).length, xs.length);
  }
  return { ...rate(eps.filter((e) => e.success === true).length, eps.length), perFamily };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function buildResults(
  c: Tier3Config,
  bounds: Record<string, Record<string, EpisodeResult[]>>,
  arms: ArmEval[],
  extra: { rows: readonly string[]; curves: Results['rlCurves']; trajectories: Record<string, number>; timings: Record<string, number> },
): Results {
  const b: Record<string, Record<string, SplitRate>> = {};
  for (const [agent, splits] of Object.entries(bounds)) {
    b[agent] = {};
    for (const [sp, eps] of Object.entries(splits)) (b[agent] as Record<string, SplitRate>)[sp] = splitRate(eps);
  }
  const rows: Record<string, ArmRow> = {};
  for (const arm of extra.rows) {
    const xs = arms.filter((a) => a.arm === arm);
    if (xs.length === 0) continue;
    const splitNames = [...new Set(xs.flatMap((x) => Object.keys(x.episodes)))];
    const splits: Record<string, SplitRate> = {};
    for (const sp of splitNames) splits[sp] = splitRate(xs.flatMap((x) => x.episodes[sp] ?? []));
    const head = splits['eval'] ?? splitRate([]);
    const mean = (f: (a: ArmEval) => number): number => xs.reduce((s, a) => s + f(a), 0) / xs.length;
    const expertFirst = new Map((bounds['expert']?.['eval'] ?? []).map((e) => [e.taskId, e.trajectory.steps[0]?.cmd]));
    const evalEps = xs.flatMap((x) => x.episodes['eval'] ?? []);
    rows[arm] = {
      firstAction: rate(
        evalEps.filter((e) => e.trajectory.steps[0] !== undefined && e.trajectory.steps[0].cmd === expertFirst.get(e.taskId)).length,
        evalEps.length,
      ),
      declaredDone: rate(evalEps.filter((e) => e.trajectory.done).length, evalEps.length),
      success: head.rate,
      lo: head.lo,
      hi: head.hi,
      n: head.total,
      passed: head.passed,
      perSeed: xs.map((a) => {
        const r = splitRate(a.episodes['eval'] ?? []);
        return {
          seed: a.seed,
          rate: r.rate,
          passed: r.passed,
          n: r.total,
          obsCE: a.train.heldOutCE.obs,
          actionCE: a.train.heldOutCE.action,
          trainSeconds: a.train.seconds,
        };
      }),
      splits,
      obsCE: mean((a) => a.train.heldOutCE.obs),
      actionCE: mean((a) => a.train.heldOutCE.action),
      trajectories: xs[0]?.train.trajectories ?? 0,
      lossTokensPerSeed: mean((a) => a.train.lossTokens),
      tokenSlotsPerSeed: xs[0]?.train.slots ?? 0,
    };
  }
  const r: Results = {
    format: TIER3_RESULTS_FORMAT,
    version: TIER3_RESULTS_VERSION,
    full: !c.name.includes('quick'),
    name: c.name,
    policyParams: paramCount(c.model),
    bounds: b,
    arms: rows,
    data: extra.trajectories,
    rlCurves: extra.curves,
    timings: extra.timings,
    markdown: '',
  };
  r.markdown = markdownTable(r, c);
  return r;
}

export function markdownTable(r: Results, c: Tier3Config): string {
  const L: string[] = [];
  const splitLabel = (sp: string): string =>
    sp === 'eval' ? `held-out instances of ${c.families.join(', ')}` : `held-out families ${c.heldOutFamilies.join(', ')}`;
  const splits = Object.keys(r.bounds['expert'] ?? {});
  for (const sp of splits) {
    L.push(`**${splitLabel(sp)}** (real sandbox, verifier-graded; arms pooled over seeds ${c.seeds.join(', ')})`, '');
    L.push(
      '| agent | success [95% CI] (passed/n) | per seed | first command = expert’s | declared done | obs CE (nats/token) | action CE |',
      '|---|---|---|---|---|---|---|',
    );
    const ex = r.bounds['expert']?.[sp];
    const nu = r.bounds['null']?.[sp];
    if (nu) L.push(`| null (floor) | ${formatRate(nu)} | | | | | |`);
    for (const [arm, row] of Object.entries(r.arms)) {
      const s = row.splits[sp];
      if (!s) continue;
      const per = sp === 'eval' ? row.perSeed.map((p) => pct(p.rate)).join(' / ') : '';
      const ev = sp === 'eval';
      L.push(
        `| ${arm} | ${formatRate(s)} | ${per} | ${ev ? formatRate(row.firstAction) : ''} | ${ev ? formatRate(row.declaredDone) : ''} | ${ev ? row.obsCE.toFixed(3) : ''} | ${ev ? row.actionCE.toFixed(3) : ''} |`,
      );
    }
    if (ex) L.push(`| expert (bound) | ${formatRate(ex)} | | 100% by definition | | | |`);
    L.push('');
    const fams = Object.keys(ex?.perFamily ?? {});
    if (fams.length > 1) {
      L.push(
        `| per family | null | ${Object.keys(r.arms).join(' | ')} | expert |`,
        `|---|---|${Object.keys(r.arms)
          .map(() => '---|')
          .join('')}---|`,
      );
      for (const f of fams) {
        const cell = (x: Rate | undefined): string => (x ? `${pct(x.rate)} (${x.passed}/${x.total})` : '');
        L.push(
          `| ${f} | ${cell(nu?.perFamily[f])} | ${Object.values(r.arms)
            .map((a) => cell(a.splits[sp]?.perFamily[f]))
            .join(' | ')} | ${cell(ex?.perFamily[f])} |`,
        );
      }
      L.push('');
    }
  }
  const curveArms = Object.keys(r.rlCurves);
  if (curveArms.length > 0 && c.rl) {
    const steps = [...new Set(Object.values(r.rlCurves).flatMap((xs) => xs.map((x) => x.step)))].sort((a, b) => a - b);
    L.push(
      `**RL curves**: greedy success on the first ${c.rl.curveInstances} eval instances, pooled over seeds, by RL step (${c.rl.prompts} tasks x ${c.rl.group} rollouts per step)`,
      '',
    );
    L.push(`| run | ${steps.map((s) => `step ${s}`).join(' | ')} |`, `|---|${steps.map(() => '---|').join('')}`);
    for (const arm of curveArms) {
      const xs = r.rlCurves[arm] ?? [];
      const cell = (s: number): string => {
        const at = xs.filter((x) => x.step === s);
        const p = at.reduce((n, x) => n + x.passed, 0);
        const n = at.reduce((k, x) => k + x.n, 0);
        return n > 0 ? `${pct(p / n)} (${p}/${n})` : '';
      };
      L.push(`| ${arm} | ${steps.map(cell).join(' | ')} |`);
    }
    L.push('');
  }
  return L.join('\n');
}
