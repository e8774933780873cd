/**
 * The IAM part of the emulator's control API: tests (and the local stack) mint an access token for
 * a member, read the policy in force and the record of every permission check.
 *   POST /_emulator/v1/iam/tokens   {"member": "serviceAccount:x@p.iam.gserviceaccount.com"}
 *   GET  /_emulator/v1/iam/policy   {"roles": [Role…], "policies": {"projects/p": Policy, …}} (policy.ts)
 *   GET  /_emulator/v1/iam/checks   (?member=… to filter)
 */
import { badRequest } from '../errors.js';
import type { Router } from '../http.js';
import type { CheckRecord } from './enforce.js';
import type { Iam } from './policy.js';

const MEMBER = /^(serviceAccount|user|group):[^\s@]+@[^\s@]+$/;

export function registerIamControl(router: Router, iam: Iam, checks: readonly CheckRecord[]): void {
  const base = '/_emulator/v1/iam';
  router.on('POST', `${base}/tokens`, 'emulator.iam.tokens.create', (r) => {
    const member = (r.body as { member?: unknown } | undefined)?.member;
    if (typeof member !== 'string' || !MEMBER.test(member))
      throw badRequest(
        'give {"member": "serviceAccount:<email>"} (or user:/group:<email>): the member the token stands for',
      );
    return iam.mintToken(member);
  });
  router.on('GET', `${base}/policy`, 'emulator.iam.policy.get', () => iam.policy());
  router.on('GET', `${base}/checks`, 'emulator.iam.checks.list', (r) => {
    const member = r.query.get('member');
    return checks.filter((c) => !member || c.member === member);
  });
}
