/**
 * Typed refusals of the allowlist path. Both are permanent (retrying changes nothing), so event
 * handlers acknowledge the event and log the message instead of looping on redelivery.
 */
import { ConfigError, SafetyError } from '../errors.js';
import { formatProblem, type Problem } from './problems.js';

/** The file is invalid; `problems` holds every located problem. */
export class AllowlistFileError extends ConfigError {
  constructor(
    source: string,
    readonly located: readonly Problem[],
  ) {
    super(
      `The allowlist ${source} is invalid; nothing was changed. Fix these problems (run \`netreflex validate\` locally):`,
      located.map(formatProblem),
    );
  }
}

export const ALLOWLIST_REFUSALS = [
  'world-open',
  'removal-share',
  'band-full',
  'ownership-conflict',
  'unresolved-source',
  'missing-policy',
  'quota',
] as const;
export type AllowlistRefusal = (typeof ALLOWLIST_REFUSALS)[number];

/** A sync the planner refuses: nothing is planned, the policy stays exactly as it is. */
export class AllowlistSafetyError extends SafetyError {
  /** The message without the list of details under it (what a refusal re-worded by a caller quotes). */
  readonly headline: string;

  constructor(
    readonly refusal: AllowlistRefusal,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(details.length ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message);
    this.headline = message;
  }
}
