/**
 * Export an arm's training trajectories in the field's formats (trl-policy, trl-echo, atif, session),
 * through the corpus exporters (src/corpus/formats), so the same study can be rerun at scale
 * with TRL or SkyRL. A trajectory becomes a session whose meta.task holds the instruction;
 * observations are the normalised (LF) and cut text the policy trained on.
 */
import { writeFileSync } from 'node:fs';
import { TwError } from '../../core/errors.js';
import { EXPORT_FORMATS } from '../../corpus/formats/index.js';
import { newSession, type Session } from '../../session/format.js';
import type { Trajectory } from './framing.js';

export const TIER3_EXPORTS = ['trl-policy', 'trl-echo', 'atif', 'session'] as const;

export function trajectoryToSession(t: Trajectory, backend: string): Session {
  return newSession({
    id: `tier3-${backend}-${t.taskId}`,
    backend,
    mode: 'pty',
    seed: 0,
    turns: t.steps.map((s) => ({ cmd: s.cmd, output: s.out, exit: s.exit, cwd: '', ms: 0, timedOut: false, truncated: false })),
    meta: { task: { id: t.taskId, family: t.family, instruction: t.instruction, done: t.done } },
  });
}

/** Write the rows (and a chat template beside them for the TRL formats); returns the row count. */
export function exportTrajectories(trajs: readonly Trajectory[], backend: string, format: string, out: string): number {
  const fmt = (TIER3_EXPORTS as readonly string[]).includes(format) ? EXPORT_FORMATS[format] : undefined;
  if (!fmt) throw new TwError(`unknown export format "${format}"`, `use one of: ${TIER3_EXPORTS.join(', ')}`);
  writeFileSync(out, trajs.map((t) => JSON.stringify(fmt.row(trajectoryToSession(t, backend)))).join('\n') + '\n');
  if (fmt.template) writeFileSync(`${out}.chat_template.jinja`, fmt.template);
  return trajs.length;
}
