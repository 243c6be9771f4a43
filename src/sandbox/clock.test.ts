import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOCK_SIZE, clockHeader, parseClockStart, SessionClock, writeClockFile } from './clock.js';

const settings = { clockStart: '2026-01-01 00:00:00', turnSeconds: 1, clockStep: 0.001, clockRate: 1, seed: 7 };
const img = { loNs: 10n, hiNs: 20n, epochS: 1767139200 };

describe('session clock file', () => {
  it('has the layout twdet.c reads', () => {
    const h = clockHeader(settings, img);
    expect(h.subarray(0, 6).toString('latin1')).toBe('TWCLK1');
    expect(h.readUInt32LE(8)).toBe(0);
    expect(h.readBigInt64LE(16)).toBe(BigInt(Date.UTC(2026, 0, 1) / 1000));
    expect(h.readBigInt64LE(24)).toBe(1_000_000_000n);
    expect(h.readBigInt64LE(32)).toBe(1_000_000n);
    expect(h.readBigInt64LE(56)).toBe(10n);
    expect(h.readBigInt64LE(64)).toBe(20n);
    expect(h.readBigInt64LE(72)).toBe(1767139200n);
    expect(clockHeader({ ...settings, seed: 8 }, img).readBigUInt64LE(48)).not.toBe(h.readBigUInt64LE(48));
  });

  it('rejects a malformed clock start with the expected form', () => {
    expect(() => parseClockStart('Jan 1 2026')).toThrow(/invalid clock start "Jan 1 2026"/);
  });

  it('stamps turn boundaries that separate the file changes of consecutive turns exactly', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'tw-clock-'));
    const path = join(dir, 'clock');
    writeClockFile(path, settings, img);
    expect(statSync(path).size).toBe(CLOCK_SIZE);
    const clock = SessionClock.open(path);
    const mtimes: bigint[] = [];
    // Turn k writes one file right after its boundary is stamped; with no wait in between this
    // is the worst case for coarse timestamps.
    for (let k = 0; k < 200; k++) {
      clock.stamp();
      const f = join(dir, `f${k}`);
      writeFileSync(f, String(k));
      mtimes.push(statSync(f, { bigint: true }).mtimeNs);
    }
    clock.close();
    const b = readFileSync(path);
    expect(b.readUInt32LE(8)).toBe(200);
    for (let k = 0; k < 200; k++) {
      const lo = b.readBigInt64LE(128 + 8 * k);
      expect(mtimes[k]! >= lo, `turn ${k}: file time before its turn's boundary`).toBe(true);
      if (k + 1 < 200) expect(mtimes[k]! < b.readBigInt64LE(128 + 8 * (k + 1)), `turn ${k}: file time after the next boundary`).toBe(true);
    }
  });
});
