/** Option parsing shared by `tw` subcommands. */
import { TwError } from '../core/errors.js';

/** An integer flag value >= min; undefined stays undefined (the caller's default applies). */
export function intFlag(flag: string, v: string, min: number): number;
export function intFlag(flag: string, v: string | undefined, min: number): number | undefined;
export function intFlag(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new TwError(`${flag} must be an integer >= ${min}, got "${v}"`, `e.g. ${flag} ${Math.max(min, 8)}`);
  return n;
}
