/** An error a user can act on: what went wrong, and what to do about it. */
export class TwError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TwError';
  }
  format(): string {
    return this.hint ? `error: ${this.message}\n  fix: ${this.hint}` : `error: ${this.message}`;
  }
}

export function describeError(e: unknown): string {
  if (e instanceof TwError) return e.format();
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}

/**
 * A read the code's own bounds guarantee, as `a[i] ?? oob()`: noUncheckedIndexedAccess types `a[i]` as
 * `T | undefined`, and this narrows it to `T` with a clear error for the bug a miss would be (biome forbids `!`
 * outside tests). Written inline at the read on purpose: a shared `at(a, i)` helper sees every array type in
 * the program and its element load turns megamorphic (6x slower on an AdamW-style loop, measured 2026-12-07),
 * while `?? oob()` costs nothing measurable on a typed-array or plain-array loop.
 */
export function oob(what = 'index'): never {
  throw new Error(`internal error: ${what} out of range`);
}
