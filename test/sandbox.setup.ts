/**
 * vitest global setup: where the sandbox is required (`CI` set, or TW_REQUIRE_SANDBOX=1), a sandbox
 * that cannot start fails the run with its reason, instead of every sandbox and security test being
 * skipped (src/backends/real/testkit.ts). TW_REQUIRE_SANDBOX=0 lets them skip, even on CI.
 */
import { ciSandboxCheck, sandboxSkipReason } from '../src/backends/real/testkit.js';

export default function setup(): void {
  ciSandboxCheck(process.env, sandboxSkipReason);
}
