/**
 * Variable scopes. A subworkflow starts an empty scope; a `for` loop adds one for its own
 * variables (so they vanish after the loop); each parallel branch or iteration adds one that
 * may read its parent but may write only the parent variables the step lists in `shared`.
 */
import { WorkflowError } from '../errors.js';
import type { Value } from '../values.js';

export class Scope {
  private readonly vars = new Map<string, Value>();

  constructor(
    private readonly parent?: Scope,
    /** Set on a parallel branch's scope: the parent variables it may assign. */
    private readonly shared?: ReadonlySet<string>,
  ) {}

  /** This scope, then each enclosing one. */
  private *chain(): Generator<Scope> {
    yield this;
    if (this.parent) yield* this.parent.chain();
  }

  lookup(name: string): Value {
    for (const s of this.chain()) if (s.vars.has(name)) return s.vars.get(name)!;
    throw WorkflowError.of('KeyError', `variable '${name}' is not defined`);
  }

  has(name: string): boolean {
    for (const s of this.chain()) if (s.vars.has(name)) return true;
    return false;
  }

  /** Assigns where the variable lives, or creates it here. */
  assign(name: string, value: Value): void {
    this.owner(name).vars.set(name, value);
  }

  /** Creates or replaces the variable in this very scope (loop variables, parameters). */
  declare(name: string, value: Value): void {
    this.vars.set(name, value);
  }

  private owner(name: string): Scope {
    let crossedBranch: Scope | undefined;
    for (const s of this.chain()) {
      if (s.vars.has(name)) {
        if (crossedBranch && !crossedBranch.shared!.has(name)) {
          throw WorkflowError.of(
            'TypeError',
            `variable '${name}' belongs to the scope around the parallel step; list it in 'shared' to assign it in a branch`,
          );
        }
        return s;
      }
      if (s.shared && !crossedBranch) crossedBranch = s;
    }
    return this;
  }
}
