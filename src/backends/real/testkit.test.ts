import { describe, expect, it } from 'vitest';
import { ciSandboxCheck, sandboxRequiredBy } from './testkit.js';

describe('sandbox tests where the sandbox is required', () => {
  it('a sandbox that cannot start fails the run where TW_REQUIRE_SANDBOX is set, with the setting, the reason and the fix', () => {
    expect(() => ciSandboxCheck({ TW_REQUIRE_SANDBOX: '1' }, 'no user namespaces')).toThrow(
      /^TW_REQUIRE_SANDBOX=1 is set, so the sandbox is required, but it cannot start here.*: no user namespaces\nfix: run scripts\/setup.sh.*TW_REQUIRE_SANDBOX=0/s,
    );
    expect(() => ciSandboxCheck({ TW_REQUIRE_SANDBOX: 'true', CI: 'false' }, 'not root')).toThrow(/TW_REQUIRE_SANDBOX=true .*not root/);
  });

  it('lets the tests skip otherwise (CI alone does not require it), and passes where the sandbox runs', () => {
    for (const env of [
      {},
      { CI: 'true' },
      { CI: '1' },
      { CI: '0' },
      { TW_REQUIRE_SANDBOX: '' },
      { TW_REQUIRE_SANDBOX: '0' },
      { TW_REQUIRE_SANDBOX: 'false', CI: 'true' },
      { TW_REQUIRE_SANDBOX: '0', CI: '1' },
    ]) {
      expect(() => ciSandboxCheck(env, 'not root')).not.toThrow();
      expect(sandboxRequiredBy(env)).toBeNull();
    }
    expect(() => ciSandboxCheck({ TW_REQUIRE_SANDBOX: '1' }, null)).not.toThrow();
    expect(sandboxRequiredBy({ CI: 'true', TW_REQUIRE_SANDBOX: '1' })).toBe('TW_REQUIRE_SANDBOX=1');
  });
});
