/**
 * The probe format (Tier 2 of the evaluation protocol). A probe is a short scripted session:
 * setup commands (not graded), then turns; each turn names how it is graded.
 *
 *   exact         output bytes + exit code equal to the oracle's
 *   exit          exit code only
 *   state         the turn's own output is ignored; the `state` commands run right after it
 *                 (e.g. `ls foo`, `cat f`, `pwd`, `echo $X`) and their output + exit must equal the oracle's
 *   distribution  the whole probe runs `samples` times in fresh sessions with different seeds; each sample
 *                 of this turn must match `pattern` (format), lie in `range` (plausibility), and the samples
 *                 must show spread (not one memorised constant) where the oracle's own samples do
 *   none          context only, never graded
 *
 * Probe files are YAML lists under probes/<category>/*.yaml; expected answers live beside them in
 * probes/<category>/fixtures.json, recorded from the real backend (see fixtures.ts).
 *
 * Words across src/eval: a *probe* is only this (a Tier 2 scripted session, graded against its fixture);
 * a *state probe* is one read-only command asked after a turn to read the state it left (the `state`
 * list here, and Tier 1's pwd / ls -A / env / cat in src/eval/tier1/stateprobes.ts); the external suite's
 * items are *cases* (src/eval/conformance).
 */
import { z } from 'zod';

export const CATEGORIES = ['filesystem', 'hallucination', 'nondeterminism', 'errors', 'operators', 'environment', 'adversarial'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * Weights of the aggregate. The deterministic core (filesystem state, exit codes/errors, operator
 * semantics) counts double: the protocol asks for exact parity with a real shell there. Nondeterminism
 * and adversarial probes are graded more loosely and count 1.
 */
export const CATEGORY_WEIGHTS: Record<Category, number> = {
  filesystem: 2,
  hallucination: 1.5,
  nondeterminism: 1,
  errors: 2,
  operators: 2,
  environment: 1.5,
  adversarial: 1,
};

export const GRADES = ['exact', 'exit', 'state', 'distribution', 'none'] as const;

const nonEmpty = z.string().min(1, 'must be a non-empty string');

export const DistributionSchema = z
  .object({
    /** Regex every sample (trailing CR/LF stripped) must match in full. */
    pattern: nonEmpty,
    /** Numeric value to check against `range`: the regex group with this index (0 = whole match). */
    group: z.number().int().min(0).default(0),
    /** Plausibility bounds for the numeric value; the oracle's samples must lie inside too. */
    range: z.tuple([z.number(), z.number()]).optional(),
    /** How the numeric value is read from the group: a decimal number, or a date parsed by Date.parse. */
    parse: z.enum(['number', 'date']).default('number'),
  })
  .strict();

export const TurnSchema = z
  .object({
    cmd: nonEmpty,
    grade: z.enum(GRADES).default('exact'),
    /** State probes run after this turn (grade: state). */
    state: z.array(nonEmpty).optional(),
    distribution: DistributionSchema.optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.grade === 'state' && (!t.state || t.state.length === 0))
      ctx.addIssue({ code: 'custom', path: ['state'], message: 'grade "state" needs a non-empty `state` list of probe commands' });
    if (t.grade !== 'state' && t.state) ctx.addIssue({ code: 'custom', path: ['state'], message: '`state` is only used with grade "state"' });
    if (t.grade === 'distribution' && !t.distribution)
      ctx.addIssue({ code: 'custom', path: ['distribution'], message: 'grade "distribution" needs a `distribution` block {pattern, range?}' });
    if (t.grade !== 'distribution' && t.distribution)
      ctx.addIssue({ code: 'custom', path: ['distribution'], message: '`distribution` is only used with grade "distribution"' });
  });

export const ProbeSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
    description: nonEmpty,
    mode: z.enum(['pty', 'pipe']).default('pty'),
    setup: z.array(nonEmpty).default([]),
    turns: z.array(TurnSchema).min(1, 'needs at least one turn'),
    /** Distribution probes: fresh sessions sampled (seeds base+0..samples-1). */
    samples: z.number().int().min(2).max(64).default(8),
    /** Run the sessions with determinism mode off (for values determinism mode freezes, such as `date`). */
    deterministic: z.boolean().default(true),
    tags: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!p.turns.some((t) => t.grade !== 'none'))
      ctx.addIssue({ code: 'custom', path: ['turns'], message: 'at least one turn must be graded (grade other than "none")' });
  });

export type Turn = z.infer<typeof TurnSchema>;
export type ProbeDef = z.infer<typeof ProbeSchema>;
export interface Probe extends ProbeDef {
  category: Category;
  /** File the probe came from, relative to the probe root. */
  file: string;
}

export function isDistributional(p: ProbeDef): boolean {
  return p.turns.some((t) => t.grade === 'distribution');
}
