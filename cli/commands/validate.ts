/**
 * `netreflex validate <file>`: the checks the armorAllowlist function runs, before upload, so a
 * reviewer sees the same errors (with line:column) that would make the function refuse the file.
 *
 * Exit codes: 0 valid (warnings allowed), 1 invalid, 2 the file could not be read.
 */
import { readFile } from 'node:fs/promises';
import { parseAllowlist } from '../../shared/allowlist/parse.js';
import { lintAllowlist, rulesNeeded } from '../../shared/allowlist/lint.js';
import { armorAllowlistEnv } from '../../shared/config/armor-allowlist.js';
import { loadEnv } from '../../shared/config/env.js';
import { formatProblem, hasErrors, sortProblems, type Problem } from '../../shared/allowlist/problems.js';
import { targetPolicies, type Allowlist } from '../../shared/allowlist/model.js';
import { errorMessage } from '../../shared/errors.js';

export interface ValidateOptions {
  readonly json?: boolean;
  /** The clock for expiry checks; tests pass a fixed one. */
  readonly now?: Date;
  /** Where NETREFLEX_ARMOR_RULE_QUOTA (the project's rule budget, default 200) is read from. */
  readonly env?: Record<string, string | undefined>;
}

const budgetEnv = armorAllowlistEnv.pick({ NETREFLEX_ARMOR_RULE_QUOTA: true });

export interface ValidateResult {
  readonly exitCode: number;
  readonly output: string;
}

export async function validateCommand(path: string, opts: ValidateOptions = {}): Promise<ValidateResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return report(path, 2, [], undefined, opts, `cannot read ${path}: ${errorMessage(err)}`);
  }
  const parsed = parseAllowlist(bytes, path);
  if (!parsed.ok) return report(path, 1, parsed.problems, undefined, opts);
  const now = opts.now ?? new Date();
  let budget: number;
  try {
    budget = loadEnv(budgetEnv, opts.env ?? {}, 'netreflex validate').NETREFLEX_ARMOR_RULE_QUOTA;
  } catch (err) {
    return report(path, 2, [], undefined, opts, errorMessage(err));
  }
  const problems = sortProblems([...parsed.warnings, ...lintAllowlist(parsed.allowlist, now, budget)]);
  return report(path, hasErrors(problems) ? 1 : 0, problems, { allowlist: parsed.allowlist, now, budget }, opts);
}

interface Checked {
  readonly allowlist: Allowlist;
  readonly now: Date;
  readonly budget: number;
}

function report(
  path: string,
  exitCode: number,
  problems: readonly Problem[],
  checked: Checked | undefined,
  opts: ValidateOptions,
  fatal?: string,
): ValidateResult {
  if (opts.json) {
    const summary = checked ? summaryOf(checked) : undefined;
    return {
      exitCode,
      output: JSON.stringify(
        {
          source: path,
          valid: exitCode === 0,
          ...(fatal ? { error: fatal } : {}),
          problems,
          ...(summary ? { summary } : {}),
        },
        null,
        2,
      ),
    };
  }
  if (fatal) return { exitCode, output: `error: ${fatal}` };
  const lines = problems.map(formatProblem);
  lines.push(exitCode === 0 ? okLine(path, checked!, problems) : failLine(path, problems));
  return { exitCode, output: lines.join('\n') };
}

function summaryOf({ allowlist, now, budget }: Checked) {
  return {
    policies: targetPolicies(allowlist),
    mode: allowlist.mode,
    lists: allowlist.lists.length,
    entries: allowlist.lists.reduce((n, l) => n + l.entries.length, 0),
    priorities: allowlist.priorities,
    /** At least this many rules once applied (default rules included), of the project's budget. */
    rules: rulesNeeded(allowlist, now, budget),
  };
}

function okLine(path: string, checked: Checked, problems: readonly Problem[]): string {
  const s = summaryOf(checked);
  const warnings = problems.length ? `, ${problems.length} warning${problems.length === 1 ? '' : 's'}` : '';
  return `${path}: valid allowlist (${s.lists} list${s.lists === 1 ? '' : 's'}, ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}, mode ${s.mode}, policies ${s.policies.join(', ')}, band ${s.priorities.from}–${s.priorities.to}, at least ${s.rules.total} of the project's ${s.rules.budget} security policy rules${warnings})`;
}

function failLine(path: string, problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  return `${path}: invalid — ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}; nothing would be applied`;
}
