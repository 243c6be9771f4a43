/**
 * vitest global setup: with TW_REQUIRE_SANDBOX set, a sandbox that cannot start fails the run with
 * its reason, instead of every sandbox and security test being skipped (src/backends/real/testkit.ts).
 * Not keyed on `CI` yet: the project's CI finished a whole run in 145 s on 2026-12-07, less than
 * the root tree's build takes, so its machine may not run the sandbox; that must be checked first.
 */
import { ciSandboxCheck, sandboxSkipReason } from '../src/backends/real/testkit.js';

export default function setup(): void {
  ciSandboxCheck(process.env['TW_REQUIRE_SANDBOX'], sandboxSkipReason);
}
