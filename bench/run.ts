/**
 * `npm run bench` (= `netreflex bench`): runs every module of bench/modules.ts, prints one table
 * of every figure beside its same-run baseline and the ratio, and writes the whole report as
 * JSON to bench/results/<timestamp>.json (gitignored) so runs can be compared.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../cli/table.js';
import { BENCHES } from './modules.js';
import { compileForBench } from './build.js';
import type { BenchContext, Figure } from './types.js';

export interface BenchOptions {
  /** Module ids to run (default: all). */
  only?: string[];
  runs?: number;
  log?: (message: string) => void;
}

export interface BenchReport {
  at: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  runs: number;
  figures: Figure[];
  failed: { module: string; error: string }[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function context(runs: number, log: (m: string) => void): BenchContext {
  let build: Promise<string> | undefined;
  return { root, runs, log, compiled: () => (build ??= compileForBench(root)) };
}

export async function runBench(
  options: BenchOptions = {},
): Promise<{ report: BenchReport; file: string; text: string }> {
  const log = options.log ?? ((m: string) => console.error(`bench: ${m}`));
  const runs = options.runs ?? 5;
  const unknown = (options.only ?? []).filter((id) => !BENCHES.some((b) => b.id === id));
  if (unknown.length)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; use: ${BENCHES.map((b) => b.id).join(', ')}`);
  const ctx = context(runs, log);
  const report: BenchReport = {
    at: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
    },
    runs,
    figures: [],
    failed: [],
  };
  for (const bench of BENCHES.filter((b) => !options.only?.length || options.only.includes(b.id))) {
    log(`${bench.title} …`);
    try {
      report.figures.push(...(await bench.run(ctx)));
    } catch (err) {
      report.failed.push({ module: bench.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const file = path.join(root, 'bench', 'results', `${report.at.replace(/[:.]/g, '-')}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return { report, file, text: render(report) };
}

const fmt = (n: number, unit: Figure['unit']) => (unit === 'ms' ? `${n} ms` : `${n}`);

export function render(report: BenchReport): string {
  const rows = report.figures.map((f) => [
    f.what,
    fmt(f.value, f.unit),
    `${fmt(f.baseline.value, f.unit)} (${f.baseline.what})`,
    `${f.ratio}×`,
    f.target ? `${f.target.met ? 'met' : 'MISSED'}: ${f.target.text}` : (f.note ?? ''),
  ]);
  const failed = report.failed.map((f) => `FAILED ${f.module}: ${f.error}`);
  return [
    `netreflex benchmarks — median of up to ${report.runs} runs, ${report.machine.cpus} × ${report.machine.cpuModel}, node ${report.machine.node}`,
    '',
    table(['figure', 'netreflex', 'baseline (same run)', 'ratio', 'target'], rows),
    ...(failed.length ? ['', ...failed] : []),
  ].join('\n');
}
