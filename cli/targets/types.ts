/** A thing `netreflex plan <target>` / `netreflex apply <target>` reconciles. */
export interface TargetOptions {
  json: boolean;
  env: Record<string, string | undefined>;
  /** Target-specific flags (e.g. --jobs for ranges). */
  flags: Record<string, unknown>;
}

export interface TargetResult {
  /** What to print (table or JSON). */
  output: string;
  /** 0 = ok, 1 = degraded/failed/refused. */
  exitCode: number;
}

export interface Target {
  plan(opts: TargetOptions): Promise<TargetResult>;
  apply(opts: TargetOptions): Promise<TargetResult>;
}
