/**
 * What a benchmark module reports: figures, each measured beside its baseline in the same run,
 * so the ratio holds on whatever machine runs `npm run bench` (absolute times do not travel).
 */
export interface Figure {
  /** Stable id for JSON consumers, e.g. `cold-start.nat-routes`. */
  id: string;
  /** What was measured, one line. */
  what: string;
  unit: 'ms' | 'calls';
  /** Median of the samples. */
  value: number;
  samples: number[];
  baseline: { what: string; value: number; samples: number[] };
  /** value / baseline.value. */
  ratio: number;
  /** The goal from the issue, in words ("≤ 2× bare"), and whether this run met it. */
  target?: { text: string; met: boolean };
  note?: string;
}

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** Samples per figure (medians of this many runs). */
  runs: number;
  /** Compiled JS of functions/, shared/ and bench/fixtures/ (built once per run, shared). */
  compiled(): Promise<string>;
  log(message: string): void;
}

/** One benchmark module: the list in bench/modules.ts is the report. */
export interface BenchModule {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A figure from raw samples; `target` judges the median against the baseline median. */
export function figure(f: {
  id: string;
  what: string;
  unit: Figure['unit'];
  samples: number[];
  baseline: { what: string; samples: number[] };
  target?: { text: string; test: (value: number, baseline: number) => boolean };
  note?: string;
}): Figure {
  const value = round(median(f.samples));
  const base = round(median(f.baseline.samples));
  return {
    id: f.id,
    what: f.what,
    unit: f.unit,
    value,
    samples: f.samples.map(round),
    baseline: { what: f.baseline.what, value: base, samples: f.baseline.samples.map(round) },
    ratio: base === 0 ? Number.POSITIVE_INFINITY : Math.round((value / base) * 100) / 100,
    ...(f.target ? { target: { text: f.target.text, met: f.target.test(value, base) } } : {}),
    ...(f.note ? { note: f.note } : {}),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
