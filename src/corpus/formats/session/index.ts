/** Our own session JSONL as an import/export format: validated, unchanged. */
import { sessionSchema, type Session } from '../../../session/format.js';
import { RowError } from '../common.js';

export function sessionRow(value: unknown): Session[] {
  const p = sessionSchema.safeParse(value);
  if (!p.success) {
    const i = p.error.issues[0];
    throw new RowError(`invalid session at \`${i?.path.join('.') || '(root)'}\`: ${i?.message ?? 'schema error'}`);
  }
  return [p.data];
}
