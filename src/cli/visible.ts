/**
 * Printing a session's output on the user's own terminal without letting it drive that terminal:
 * a command in a session can print escape sequences that set the clipboard (OSC 52), the window
 * title, reset the terminal, or (on some terminals) answer back as typed input. `visibleBytes`
 * makes every control character visible text, the way `cat -v` does, so what follows it is inert:
 *
 *   \n, \t, and \r\n                 kept (line structure)
 *   ESC                              ^[  (the rest of the sequence is then plain text)
 *   other C0 (0x00-0x1f), lone \r    ^@ ^A ... ^_ , ^M
 *   DEL (0x7f)                       ^?
 *   C1 controls U+0080-U+009F        \u0080 ... \u009f  (as UTF-8; e.g. \u009b is an 8-bit CSI)
 *   bytes that are not UTF-8         \xHH, one per byte
 *   everything else                  as is (valid UTF-8 text, any script)
 */

import { oob } from '../core/errors.js';

/** Length of the UTF-8 sequence starting at b[i] when it is valid (shortest form, no surrogates, <= U+10FFFF), else 0. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i] ?? oob();
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + j];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

const printable = (x: number | undefined): boolean => x !== undefined && x >= 0x20 && x < 0x7f;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** The bytes as text safe to write to a terminal: controls shown, never obeyed (see the header). */
export function visibleBytes(b: Buffer): string {
  let out = '';
  let i = 0;
  let c: number | undefined;
  while ((c = b[i]) !== undefined) {
    if (c === 0x0a || c === 0x09) {
      out += String.fromCharCode(c);
      i++;
    } else if (c === 0x0d) {
      if (b[i + 1] === 0x0a) {
        out += '\r\n';
        i += 2;
      } else {
        out += '^M';
        i++;
      }
    } else if (c < 0x20) {
      out += '^' + String.fromCharCode(c + 0x40);
      i++;
    } else if (c === 0x7f) {
      out += '^?';
      i++;
    } else if (c < 0x80) {
      let j = i + 1;
      while (printable(b[j])) j++;
      out += b.toString('latin1', i, j);
      i = j;
    } else {
      const n = utf8Length(b, i);
      if (n === 0) {
        out += `\\x${hex2(c)}`;
        i++;
        continue;
      }
      const ch = b.toString('utf8', i, i + n);
      const cp = ch.codePointAt(0) ?? 0;
      out += cp >= 0x80 && cp <= 0x9f ? `\\u00${hex2(cp)}` : ch;
      i += n;
    }
  }
  return out;
}
