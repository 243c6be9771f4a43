/** What a benchmark suite is and returns (the registry, the suites and the CLI all import these; nothing here imports back). */
export interface BenchMetric {
  /** e.g. "session start p50". */
  name: string;
  value: number;
  unit: string;
  /** Target, if any, e.g. {op: '<=', value: 20}. */
  target?: { op: '<=' | '>='; value: number };
}

export interface BenchResult {
  suite: string;
  metrics: BenchMetric[];
  /** Suite-specific details (raw samples, configuration). */
  details?: Record<string, unknown>;
}

export interface BenchOptions {
  /** Fewer repetitions (CI smoke runs). */
  quick: boolean;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}
