/**
 * Train/valid/test splits with a leakage check.
 *
 * Rule (documented in docs/corpus.md):
 *  1. Each session's split starts from a hash of its id: 90% train, 5% valid, 5% test.
 *  2. Sessions are linked when they are identical (same commands and outputs) or share a
 *     *distinctive* (command, output) pair: output of at least MIN_PAIR_BYTES bytes (trimmed)
 *     that occurs in fewer than COMMON_SESSIONS sessions. Each linked group goes whole to the
 *     split of its first member (smallest id), so no session and no distinctive pair straddles
 *     two splits.
 *  3. Pairs that are short (`pwd` -> `/root`) or common (seen in COMMON_SESSIONS or more
 *     sessions: `python3 --version`, a bad-flag error) are general terminal knowledge, not
 *     leakage; they are exempt and counted in the manifest.
 */
import { createHash } from 'node:crypto';
import { decodeBytes, type Session } from '../../session/format.js';

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: readonly Split[] = ['train', 'valid', 'test'];
export const MIN_PAIR_BYTES = 32;
export const COMMON_SESSIONS = 5;

function h(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

export function hashSplit(id: string, fractions: readonly [number, number, number] = [0.9, 0.05, 0.05]): Split {
  const x = parseInt(h(id).slice(0, 8), 16) / 0x100000000;
  return x < fractions[0] ? 'train' : x < fractions[0] + fractions[1] ? 'valid' : 'test';
}

export function sessionHash(s: Session): string {
  const c = createHash('sha256');
  for (const t of s.turns) c.update(t.cmd).update('\0').update(decodeBytes(t.output)).update('\0').update(String(t.exit)).update('\n');
  return c.digest('hex').slice(0, 32);
}

/** Hashes of the session's distinctive-length (cmd, output) pairs. */
export function pairHashes(s: Session): string[] {
  const out = new Set<string>();
  for (const t of s.turns) {
    const o = decodeBytes(t.output);
    if (o.toString('utf8').trim().length < MIN_PAIR_BYTES) continue;
    out.add(h(Buffer.concat([Buffer.from(t.cmd + '\0'), o])));
  }
  return [...out];
}

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p === x) return x;
    p = this.find(p);
    this.parent.set(x, p);
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a),
      rb = this.find(b);
    if (ra === rb) return;
    // keep the smaller id as the root, so a group's split is its first member's
    if (ra < rb) this.parent.set(rb, ra);
    else this.parent.set(ra, rb);
  }
}

export interface SplitAssignment {
  split: Map<string, Split>;
  /** Sessions moved away from their hash split to join a linked group. */
  moved: number;
  /** Distinct pairs exempt because they are common. */
  commonPairs: number;
  linkedGroups: number;
}

export function assignSplits(sessions: readonly Session[]): SplitAssignment {
  const uf = new UnionFind();
  const bySession = new Map<string, string[]>();
  const byPair = new Map<string, string[]>();
  const byContent = new Map<string, string>();
  for (const s of sessions) {
    const ch = sessionHash(s);
    const first = byContent.get(ch);
    if (first === undefined) byContent.set(ch, s.id);
    else uf.union(first, s.id);
    const ps = pairHashes(s);
    bySession.set(s.id, ps);
    for (const p of ps) {
      const l = byPair.get(p);
      if (l) l.push(s.id);
      else byPair.set(p, [s.id]);
    }
  }
  let commonPairs = 0;
  let linkedGroups = 0;
  for (const ids of byPair.values()) {
    if (ids.length >= COMMON_SESSIONS) {
      commonPairs++;
      continue;
    }
    if (ids.length > 1) linkedGroups++;
    for (let i = 1; i < ids.length; i++) uf.union(ids[0] as string, ids[i] as string);
  }
  const split = new Map<string, Split>();
  let moved = 0;
  for (const s of sessions) {
    const sp = hashSplit(uf.find(s.id));
    if (sp !== hashSplit(s.id)) moved++;
    split.set(s.id, sp);
  }
  return { split, moved, commonPairs, linkedGroups };
}

export interface SplitCheck {
  ok: boolean;
  /** Identical sessions found in two splits. */
  sessionCollisions: number;
  /** Distinctive, non-common pairs found in two splits. */
  pairCollisions: number;
  examples: string[];
}

/** Independent check of the rule over already written splits. */
export function checkSplits(bySplit: ReadonlyMap<Split, readonly Session[]>): SplitCheck {
  const sessOwner = new Map<string, Split>();
  const pairOwners = new Map<string, { splits: Set<Split>; sessions: number; cmd: string }>();
  let sessionCollisions = 0;
  const examples: string[] = [];
  for (const [sp, ss] of bySplit) {
    for (const s of ss) {
      const ch = sessionHash(s);
      const o = sessOwner.get(ch);
      if (o !== undefined && o !== sp) {
        sessionCollisions++;
        if (examples.length < 5) examples.push(`session ${s.id} (${sp}) duplicates one in ${o}`);
      } else sessOwner.set(ch, sp);
      for (const p of pairHashes(s)) {
        const e = pairOwners.get(p) ?? { splits: new Set<Split>(), sessions: 0, cmd: '' };
        e.splits.add(sp);
        e.sessions++;
        e.cmd = s.id;
        pairOwners.set(p, e);
      }
    }
  }
  let pairCollisions = 0;
  for (const e of pairOwners.values()) {
    if (e.sessions < COMMON_SESSIONS && e.splits.size > 1) {
      pairCollisions++;
      if (examples.length < 5) examples.push(`a distinctive pair of ${e.cmd} is in ${[...e.splits].join(' and ')}`);
    }
  }
  return { ok: sessionCollisions === 0 && pairCollisions === 0, sessionCollisions, pairCollisions, examples };
}
