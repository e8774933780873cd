/**
 * Problems found in an allowlist file, each with where it is (line:column and the path of keys),
 * so `netreflex validate`, the function's log line and a CI annotation all point at the same spot.
 */

export type ProblemSeverity = 'error' | 'warning';

export interface Problem {
  readonly severity: ProblemSeverity;
  readonly message: string;
  /** Key path in the document, e.g. `lists.partners.entries[2].cidr`; empty for the whole file. */
  readonly path: string;
  /** 1-based; 1:1 when the problem is about the file as a whole. */
  readonly line: number;
  readonly column: number;
  readonly source: string;
}

export type PathSegment = string | number;

/** `['lists', 'partners', 'entries', 2, 'cidr']` → `lists.partners.entries[2].cidr`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/** `allowlist.yaml:12:9: lists.partners.entries[2].cidr: "x" is not …` — the compiler-style line. */
export function formatProblem(problem: Problem): string {
  const where = `${problem.source}:${problem.line}:${problem.column}`;
  const tag = problem.severity === 'warning' ? 'warning: ' : '';
  return problem.path ? `${where}: ${tag}${problem.path}: ${problem.message}` : `${where}: ${tag}${problem.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Sorted by position so a reader fixes the file top to bottom; the same finding from two checks is listed once. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const unique = new Map(problems.map((p) => [formatProblem(p), p]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
