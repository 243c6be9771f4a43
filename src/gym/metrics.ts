import { oob } from '../core/errors.js';
/** The gym server's counters, gauges and latency histograms, in Prometheus text format (0.0.4). */

const BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string>;

function key(labels: Labels): string {
  const e = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return e.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

class Histogram {
  readonly counts = new Array<number>(BUCKETS_S.length).fill(0);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS_S.length; i++) if (seconds <= (BUCKETS_S[i] ?? oob())) this.counts[i] = (this.counts[i] ?? oob()) + 1;
  }
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Map<string, number>;
  hists: Map<string, Histogram>;
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  private fam(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { help, type, values: new Map(), hists: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.fam(name, help, 'counter');
    const k = key(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.fam(name, help, 'gauge').values.set(key(labels), value);
  }

  observe(name: string, help: string, seconds: number, labels: Labels = {}): void {
    const f = this.fam(name, help, 'histogram');
    const k = key(labels);
    let h = f.hists.get(k);
    if (!h) {
      h = new Histogram();
      f.hists.set(k, h);
    }
    h.observe(seconds);
  }

  get(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(key(labels)) ?? 0;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [k, v] of f.values) out.push(`${name}${k ? `{${k}}` : ''} ${v}`);
      for (const [k, h] of f.hists) {
        const pre = k ? `${k},` : '';
        BUCKETS_S.forEach((b, i) => out.push(`${name}_bucket{${pre}le="${b}"} ${h.counts[i]}`));
        out.push(`${name}_bucket{${pre}le="+Inf"} ${h.count}`, `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`, `${name}_count${k ? `{${k}}` : ''} ${h.count}`);
      }
    }
    return out.join('\n') + '\n';
  }
}
