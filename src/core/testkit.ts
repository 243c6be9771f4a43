/** Test helper: the TwError a call throws (any other error is rethrown; no throw fails the test). */
import { TwError } from './errors.js';

export function twErrorOf(f: () => unknown): TwError {
  try {
    f();
  } catch (e) {
    if (e instanceof TwError) return e;
    throw e;
  }
  throw new Error('expected a TwError');
}
