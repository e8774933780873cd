/**
 * Maps a path inside the parsed document back to a line and column, so every problem and every
 * runtime error can say where in the YAML it comes from.
 */
import type { Document, LineCounter } from 'yaml';
import type { SyntaxProblem } from '../errors.js';
import type { Location } from './model.js';

export type PathSeg = string | number;

export function formatPath(path: readonly PathSeg[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );
}

/** Collects problems with their locations; parsing goes on after each one to report them all. */
export class Problems {
  readonly list: SyntaxProblem[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Location of the node at `path`, or of its nearest ancestor when the node itself is absent. */
  locate(path: readonly PathSeg[]): Location {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      if (offset === undefined) continue;
      const { line, col } = this.lines.linePos(offset);
      return { path: formatPath(path), line, column: col };
    }
    return { path: formatPath(path) };
  }

  add(path: readonly PathSeg[], message: string): void {
    this.list.push({ ...this.locate(path), message });
  }
}
