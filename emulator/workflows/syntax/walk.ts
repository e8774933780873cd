/** The blocks of steps nested in a step, and which of them start a new jump scope. */
import type { Step } from './model.js';

export interface NestedBlock {
  steps: Step[];
  /** Set when a `next` cannot leave the block: a loop body or a parallel branch. */
  boundary?: 'for' | 'parallel-for' | 'branch';
}

export function nestedBlocks(step: Step): NestedBlock[] {
  switch (step.kind) {
    case 'steps':
      return [{ steps: step.steps }];
    case 'switch':
      return step.conditions.flatMap((c) => (c.steps ? [{ steps: c.steps }] : []));
    case 'for':
      return [{ steps: step.loop.steps, boundary: 'for' }];
    case 'parallel':
      if (step.parallel.for) return [{ steps: step.parallel.for.steps, boundary: 'parallel-for' }];
      return (step.parallel.branches ?? []).map((b) => ({ steps: b.steps, boundary: 'branch' }));
    case 'try':
      return [...nestedBlocks(step.body), ...(step.except ? [{ steps: step.except.steps }] : [])];
    default:
      return [];
  }
}
