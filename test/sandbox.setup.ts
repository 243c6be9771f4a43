/**
 * vitest global setup: where the sandbox is required (TW_REQUIRE_SANDBOX=1), a sandbox
 * that cannot start fails the run with its reason, instead of every sandbox and security test being
 * skipped (src/backends/real/testkit.ts).
 */
import { ciSandboxCheck, sandboxSkipReason } from '../src/backends/real/testkit.js';

export default function setup(): void {
  ciSandboxCheck(process.env, sandboxSkipReason);
}
