import { describe, expect, it } from 'vitest';
import { ciSandboxCheck } from './testkit.js';

describe('sandbox tests where the sandbox is required', () => {
  it('a sandbox that cannot run fails the run when TW_REQUIRE_SANDBOX is set, with the reason and the fix', () => {
    expect(() => ciSandboxCheck('true', 'no user namespaces')).toThrow(/TW_REQUIRE_SANDBOX is set but the sandbox cannot run here.*no user namespaces\nfix: run scripts\/setup.sh/s);
    expect(() => ciSandboxCheck('1', 'not root')).toThrow(/not root/);
  });

  it('lets the tests skip otherwise, and passes where the sandbox runs', () => {
    for (const ci of [undefined, '', 'false', '0']) expect(() => ciSandboxCheck(ci, 'not root')).not.toThrow();
    expect(() => ciSandboxCheck('true', null)).not.toThrow();
  });
});
