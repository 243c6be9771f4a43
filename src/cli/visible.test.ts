import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { visibleBytes } from './visible.js';

const v = (s: string | Buffer): string => visibleBytes(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

describe('visibleBytes', () => {
  it('leaves plain text unchanged: ASCII, UTF-8 of any script, \\n, \\t, \\r\\n', () => {
    for (const s of ['', 'hello world', 'a\tb\nc\r\nd\r\n', 'héllo wörld — ✓ 日本語 🙂 \u00a0 \u00ff', '~!@#$%^&*()_+`[]{}|\\;:\'",.<>/?']) {
      expect(v(s)).toBe(s);
    }
  });

  it('makes OSC 52 (clipboard), a title and a terminal reset inert text', () => {
    expect(v('\x1b]52;c;aGk=\x07')).toBe('^[]52;c;aGk=^G');
    expect(v('\x1b]0;pwned\x1b\\')).toBe('^[]0;pwned^[\\');
    expect(v('\x1bc')).toBe('^[c');
    expect(v('\x1bP+q544e\x1b\\')).toBe('^[P+q544e^[\\'); // DCS (XTGETTCAP): would make the terminal answer
  });

  it('shows CSI colours and cursor moves', () => {
    expect(v('\x1b[31mred\x1b[0m \x1b[2J\x1b[H')).toBe('^[[31mred^[[0m ^[[2J^[[H');
  });

  it('shows other C0 controls in caret notation, DEL as ^?, and a lone CR as ^M', () => {
    expect(v('\x00\x01\x07\x08\x0b\x0c\x1a\x1f')).toBe('^@^A^G^H^K^L^Z^_');
    expect(v('a\x7fb')).toBe('a^?b');
    expect(v('50%\r100%\r\n')).toBe('50%^M100%\r\n');
    expect(v('end\r')).toBe('end^M');
    expect(v('\r\r\n')).toBe('^M\r\n');
  });

  it('shows C1 controls encoded as UTF-8 as \\u escapes (an 8-bit CSI, OSC, ST)', () => {
    expect(v('\u009b31mx')).toBe('\\u009b31mx');
    expect(v('\u009d52;c;aGk=\u009c')).toBe('\\u009d52;c;aGk=\\u009c');
    expect(v('\u0080\u009f\u00a0')).toBe('\\u0080\\u009f\u00a0');
  });

  it('shows bytes that are not UTF-8 as \\xHH: raw C1 bytes, truncated, overlong, surrogates, out of range', () => {
    expect(v(Buffer.from([0x9b, 0x33, 0x31, 0x6d]))).toBe('\\x9b31m');
    expect(v(Buffer.from([0x61, 0xff, 0xfe, 0x62]))).toBe('a\\xff\\xfeb');
    expect(v(Buffer.from([0xe2, 0x9c]))).toBe('\\xe2\\x9c'); // ✓ cut short
    expect(v(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // overlong '/'
    expect(v(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // UTF-16 surrogate
    expect(v(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe('\\xf4\\x90\\x80\\x80'); // above U+10FFFF
    expect(v(Buffer.from([0xc2, 0x9b]))).toBe('\\u009b'); // valid UTF-8 C1 stays one escape
  });

  it('never lets an ESC, C0 (other than \\t \\n and CR before LF), DEL or C1 through', () => {
    const all = Buffer.alloc(4096);
    for (let i = 0; i < all.length; i++) all[i] = (i * 7919 + (i >> 8)) & 0xff;
    const out = v(Buffer.concat([all, Buffer.from('\u0085\u009b\u009d')]));
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/);
  });
});

// `tw exec` end to end on the justbash backend (no sandbox needed): spawns `node bin/tw.js` (tsx compiles on start).
describe('tw exec output', { timeout: 180_000 }, () => {
  const run = promisify(execFile);
  const cmd = "printf '\\033]52;c;aGk=\\a'";
  it('shows an OSC 52 clipboard write as text by default, and passes it through with --raw; --json is unchanged', async () => {
    const shown = await run('node', ['bin/tw.js', 'exec', '--backend', 'justbash', cmd], { encoding: 'buffer' });
    expect(shown.stdout.toString('latin1')).toBe('^[]52;c;aGk=^G');
    const raw = await run('node', ['bin/tw.js', 'exec', '--backend', 'justbash', '--raw', cmd], { encoding: 'buffer' });
    expect(raw.stdout.toString('latin1')).toBe('\x1b]52;c;aGk=\x07');
    const json = await run('node', ['bin/tw.js', 'exec', '--backend', 'justbash', '--json', cmd], { encoding: 'utf8' });
    expect((JSON.parse(json.stdout) as { turns: { output: string }[] }).turns[0]?.output).toBe('\x1b]52;c;aGk=\x07');
  });
});
