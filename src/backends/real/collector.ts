/**
 * Collects one output stream of one turn and finds the end-of-turn marker the shell prints.
 * A marker is `\x1e tw<nonce> BODY \x1f` (no spaces). A command typed as several lines may run
 * several commands, each followed by a prompt: markers whose body says more input is pending
 * are intermediate; they are cut out and collecting goes on. Everything before the final
 * marker, minus the intermediate markers, is the turn's output, byte for byte. Bytes beyond the
 * cap are dropped (counted, not kept).
 */
export interface MarkerHit {
  /** Text between the nonce prefix and \x1f (e.g. "12:0:/root"). */
  body: string;
  /** The marker's bytes as they came (put back as output when it turns out not to be a prompt). */
  raw: Buffer;
}

const SLACK = 16 << 10;

export class Collector {
  /** Output bytes kept so far (markers already cut out), at most cap + SLACK. */
  private kept: Buffer[] = [];
  private keptBytes = 0;
  /** Output bytes seen this turn (kept or not), markers excluded. */
  outBytes = 0;
  /** Raw stream bytes seen this turn, markers included. */
  total = 0;
  /** Unsearched tail: may hold the start of a marker. */
  private pending: Buffer = Buffer.alloc(0);
  hit: MarkerHit | null = null;
  /** Body of the latest marker seen this turn, final or not (null before the first). */
  lastBody: string | null = null;
  /** Output bytes seen before the first marker of this turn (null before it). */
  firstMarkerAt: number | null = null;
  /** Bytes that arrived after the final marker (belong to the next turn). */
  leftover: Buffer = Buffer.alloc(0);

  constructor(
    private readonly prefix: Buffer,
    private readonly cap: number,
    /** Whether a marker body ends the turn (default: every marker does). */
    private readonly isFinal: (body: string) => boolean = () => true,
  ) {}

  private keep(b: Buffer): void {
    if (b.length === 0) return;
    this.outBytes += b.length;
    const room = this.cap + SLACK - this.keptBytes;
    if (room <= 0) return;
    const take = b.length <= room ? b : b.subarray(0, room);
    this.kept.push(Buffer.from(take));
    this.keptBytes += take.length;
  }

  /** Feed stream bytes; true once the final marker has been seen. */
  push(chunk: Buffer): boolean {
    if (this.hit) {
      this.leftover = Buffer.concat([this.leftover, chunk]);
      return true;
    }
    this.total += chunk.length;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const idx = buf.indexOf(this.prefix);
      if (idx < 0) {
        // Keep back a tail that could be the start of a marker.
        const hold = Math.min(buf.length, this.prefix.length - 1);
        this.keep(buf.subarray(0, buf.length - hold));
        this.pending = Buffer.from(buf.subarray(buf.length - hold));
        return false;
      }
      const end = buf.indexOf(0x1f, idx + this.prefix.length);
      if (end < 0) {
        this.keep(buf.subarray(0, idx));
        this.pending = Buffer.from(buf.subarray(idx));
        return false;
      }
      this.keep(buf.subarray(0, idx));
      const body = buf.subarray(idx + this.prefix.length, end).toString('utf8');
      const rawMarker = Buffer.from(buf.subarray(idx, end + 1));
      buf = buf.subarray(end + 1);
      this.lastBody = body;
      this.firstMarkerAt ??= this.outBytes;
      if (this.isFinal(body)) {
        this.hit = { body, raw: rawMarker };
        this.leftover = Buffer.from(buf);
        this.pending = Buffer.alloc(0);
        return true;
      }
    }
  }

  /** Whether a complete marker arrived after the final one (so that one was not the last prompt). */
  leftoverHasMarker(): boolean {
    const i = this.leftover.indexOf(this.prefix);
    return i >= 0 && this.leftover.indexOf(0x1f, i + this.prefix.length) >= 0;
  }

  /**
   * The final marker was not the shell's prompt after all: drop it (`cut`: a real intermediate
   * prompt of a multi-line command) or keep its bytes as output (a look-alike the command
   * printed), then go on with what came after it. True if a final marker is found again.
   */
  reopen(cut: boolean): boolean {
    const h = this.hit;
    if (!h) return false;
    this.hit = null;
    if (!cut) this.keep(h.raw);
    const rest = this.leftover;
    this.leftover = Buffer.alloc(0);
    this.total = Math.max(0, this.total - rest.length); // push() counts it again (approximately: it is only a runaway guard)
    return rest.length > 0 ? this.push(rest) : false;
  }

  /** The output (all of it so far if no final marker came), capped; and whether it was cut. */
  result(): { output: Buffer; truncated: boolean; dropped: number } {
    const all = Buffer.concat(this.hit ? this.kept : [...this.kept, this.pending]);
    const seen = this.outBytes + (this.hit ? 0 : this.pending.length);
    if (seen <= this.cap) return { output: all.subarray(0, seen), truncated: false, dropped: 0 };
    const dropped = seen - this.cap;
    const note = Buffer.from(`\n[terminalworld: output truncated, ${dropped} bytes dropped]\n`);
    return { output: Buffer.concat([all.subarray(0, this.cap), note]), truncated: true, dropped };
  }
}
