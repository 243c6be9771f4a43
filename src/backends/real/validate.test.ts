import { describe, expect, it } from 'vitest';
import { TwError } from '../../core/errors.js';
import { validateCommand } from './protocol.js';

function message(cmd: string): string {
  try {
    validateCommand(cmd);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(TwError);
    return (e as TwError).format();
  }
}

describe('validateCommand', () => {
  it('accepts ordinary and multi-line commands', () => {
    expect(message('ls -la | grep x')).toBe('ok');
    expect(message('cat <<EOF\nline\tx\nEOF')).toBe('ok');
  });
  it('rejects NUL bytes with a fix', () => {
    expect(message('echo a\0b')).toMatch(/NUL byte[\s\S]*fix: .*printf/);
  });
  it('rejects empty and blank commands', () => {
    expect(message('')).toMatch(/empty command/);
    expect(message('  \n ')).toMatch(/empty command/);
  });
  it('rejects control characters the tty would act on, naming them', () => {
    expect(message('echo \x03')).toMatch(/0x03[\s\S]*\$'\\x03'/);
    expect(message('echo a\rb')).toMatch(/0x0d/);
    expect(message('x\x7f')).toMatch(/0x7f/);
  });
  it('rejects lines longer than a terminal line', () => {
    expect(message('echo ' + 'a'.repeat(5000))).toMatch(/longer than 4000 bytes/);
    expect(message(('echo ' + 'a'.repeat(3000) + '\n').repeat(3))).toBe('ok');
  });
});
