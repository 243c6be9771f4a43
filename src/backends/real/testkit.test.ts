import { describe, expect, it } from 'vitest';
import { ciSandboxCheck, sandboxRequiredBy } from './testkit.js';

describe('sandbox tests where the sandbox is required', () => {
  it('a sandbox that cannot start fails the run on CI, with the setting, the reason and the fix', () => {
    expect(() => ciSandboxCheck({ CI: 'true' }, 'no user namespaces')).toThrow(/^CI=true is set, so the sandbox is required, but it cannot start here.*: no user namespaces\nfix: run scripts\/setup.sh.*TW_REQUIRE_SANDBOX=0/s);
    expect(() => ciSandboxCheck({ CI: '1' }, 'not root')).toThrow(/CI=1 .*not root/);
  });

  it('and where TW_REQUIRE_SANDBOX is set, CI or not', () => {
    expect(() => ciSandboxCheck({ TW_REQUIRE_SANDBOX: '1' }, 'no user namespaces')).toThrow(/^TW_REQUIRE_SANDBOX=1 is set.*: no user namespaces\nfix: /s);
    expect(() => ciSandboxCheck({ TW_REQUIRE_SANDBOX: 'true', CI: 'false' }, 'not root')).toThrow(/TW_REQUIRE_SANDBOX=true .*not root/);
  });

  it('lets the tests skip otherwise (TW_REQUIRE_SANDBOX=0 even on CI), and passes where the sandbox runs', () => {
    for (const env of [{}, { CI: '' }, { CI: 'false' }, { CI: '0' }, { TW_REQUIRE_SANDBOX: '' }, { TW_REQUIRE_SANDBOX: '0' }, { TW_REQUIRE_SANDBOX: 'false', CI: 'true' }, { TW_REQUIRE_SANDBOX: '0', CI: '1' }]) {
      expect(() => ciSandboxCheck(env, 'not root')).not.toThrow();
      expect(sandboxRequiredBy(env)).toBeNull();
    }
    expect(() => ciSandboxCheck({ CI: 'true' }, null)).not.toThrow();
    expect(sandboxRequiredBy({ CI: 'true', TW_REQUIRE_SANDBOX: '1' })).toBe('TW_REQUIRE_SANDBOX=1');
  });
});
