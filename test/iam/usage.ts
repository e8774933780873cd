/**
 * iam.tf held to what netreflex really calls: the permission checks the local Google Cloud made
 * for the functions and the workflow during the end-to-end tests (each local stack running iam.tf
 * as deployed writes them when it stops, local/stack.ts) are judged again under a set of roles
 * and bindings. Under iam.tf, (a) none may be refused — a refusal is the 403 production would
 * answer — and (b) every permission of every custom role iam.tf binds to a function or the workflow,
 * and every predefined role it binds to them, must have allowed at least one of those calls: a
 * grant nothing used is privilege nothing needs. Judging the records again (instead of trusting the
 * verdicts recorded) lets a planted mistake in the roles be shown on the same calls.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Iam } from '../../emulator/iam/policy.js';
import { installTerraformIam, type TerraformIam } from '../../local/terraform/iam.js';
import type { ChecksFile, CountedCheck } from '../../local/stack.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface Run {
  /** Test files that ran (their marks, test/iam/source.ts). */
  ran: string[];
  /** The checks each stack wrote, with the test file that started it. */
  files: ChecksFile[];
}

/** Everything this run's stacks and test files wrote under `dir`. */
export function readRun(dir: string): Run {
  const ranDir = join(dir, 'ran');
  const ran = existsSync(ranDir)
    ? readdirSync(ranDir)
        .map((f) => readFileSync(join(ranDir, f), 'utf8'))
        .sort()
    : [];
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ChecksFile)
    : [];
  return { ran, files };
}

/** Every test file of the suite (what `npm test` runs) but `except`, repo-relative. */
export function suiteFiles(except: readonly string[]): string[] {
  return (readdirSync(join(REPO_ROOT, 'test'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(REPO_ROOT, join(REPO_ROOT, 'test', f)))
    .filter((f) => !except.includes(f))
    .sort();
}

/** The identities the local stack runs as: each function's account and the workflow's, by name. */
export function identities(tf: TerraformIam): Map<string, string> {
  const out = new Map<string, string>();
  for (const [address, email] of Object.entries(tf.serviceAccounts)) {
    const fn = /^google_service_account\.function\["([^"]+)"\]$/.exec(address)?.[1];
    if (fn) out.set(`serviceAccount:${email}`, fn);
    else if (address === 'google_service_account.workflow') out.set(`serviceAccount:${email}`, 'the workflow');
  }
  return out;
}

const bindingKey = (b: { member: string; role: string; resource: string; condition?: { expression: string } }) =>
  JSON.stringify([b.member, b.role, b.resource, b.condition?.expression ?? '']);

/**
 * What is wrong with `tf` for the calls of `files`: each refused call (per identity and
 * permission, with where and in which test) and each grant no call used. Empty when the roles are
 * exactly what the suite needed.
 */
export function usageProblems(tf: TerraformIam, files: readonly ChecksFile[]): string[] {
  const iam = new Iam(() => 0);
  installTerraformIam(iam, tf);
  const who = identities(tf);
  const name = (member: string) => `${who.get(member) ?? member} (${member.replace(/^serviceAccount:/, '')})`;
  const refused = new Map<string, { member: string; permission: string; where: Set<string> }>();
  const usedPermissions = new Set<string>();
  const usedBindings = new Set<string>();
  const calling = new Set<string>();
  for (const { source, checks } of files) {
    for (const c of checks as CountedCheck[]) {
      if (!who.has(c.member)) continue;
      calling.add(c.member);
      const decision = iam.check(
        { kind: 'member', member: c.member },
        c.permission,
        c.evaluated.resource,
        c.evaluated.ancestors,
      );
      if (decision.allowed && decision.binding) {
        usedPermissions.add(`${decision.binding.role}\n${c.permission}`);
        usedBindings.add(bindingKey(decision.binding));
        continue;
      }
      const key = `${c.member}\n${c.permission}`;
      const r = refused.get(key) ?? { member: c.member, permission: c.permission, where: new Set<string>() };
      r.where.add(`${c.methodId} on ${c.resource} in ${source || 'an unnamed run'}`);
      refused.set(key, r);
    }
  }
  const problems: string[] = [];
  for (const r of refused.values()) {
    const where = [...r.where].sort();
    problems.push(
      `${name(r.member)} was refused ${r.permission}: ${where.slice(0, 3).join('; ')}${where.length > 3 ? ` (and ${where.length - 3} more)` : ''} — no role iam.tf binds to it grants ${r.permission} there; production answers this call 403`,
    );
  }
  const custom = new Map(tf.roles.map((r) => [r.name, r.permissions]));
  for (const b of tf.bindings.filter((x) => who.has(x.member))) {
    const on = `${b.resource}${b.condition ? ` if ${b.condition.expression}` : ''}`;
    const perms = custom.get(b.role);
    if (perms) {
      for (const p of perms)
        if (!usedPermissions.has(`${b.role}\n${p}`))
          problems.push(
            `role ${b.role}, bound to ${name(b.member)} on ${on}, grants ${p}, which no call of the end-to-end tests needed: remove it from iam.tf (or add the test that makes the call)`,
          );
    } else if (!usedBindings.has(bindingKey(b))) {
      problems.push(
        `${b.role}, bound to ${name(b.member)} on ${on}, allowed no call of the end-to-end tests: remove the binding from iam.tf (or add the test that makes the call)`,
      );
    }
  }
  for (const [member] of who)
    if (!calling.has(member))
      problems.push(`${name(member)} made no call in the end-to-end tests, so its roles are unchecked: run it in one`);
  return problems;
}
