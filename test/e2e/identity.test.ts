/**
 * Each function of the local stack calls as the service account terraform-bootstrap gives it, with
 * the role iam.tf grants it: the emulator sees its token (handed out by the function's own
 * metadata server), and a role missing a permission fails the function as production would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sampleIam, startStack, type Stack, type StackIam } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';

const SA = `serviceAccount:netreflex-nat-routes-sync@${SAMPLE.project}.iam.gserviceaccount.com`;
let stack: Stack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function sync(iam?: StackIam): Promise<{ status: number; body: { status: string; reasons: string[] } }> {
  stack = await startStack({
    functions: ['natRoutesSync'],
    tickMs: 0,
    ...(iam ? { iam } : {}),
    emulator: { settings: { operationLatencyMs: 5, instanceStepMs: 10 } },
  });
  const res = await fetch(stack.functions.get('natRoutesSync')!.url, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
}

describe('the identity of a local function', () => {
  it('natRoutesSync calls as netreflex-nat-routes-sync, and its role lets it sync', async () => {
    const { status } = await sync();
    expect(status).toBe(200);
    const members = new Set(stack!.emulator.iamChecks.map((c) => c.member));
    expect([...members]).toEqual([SA]);
    expect(stack!.emulator.iamChecks.filter((c) => !c.allowed)).toEqual([]);
  });

  it('planted: its role without compute.routes.list fails the sync with the 403 production answers', async () => {
    const iam = await sampleIam();
    const planted = {
      ...iam,
      roles: iam.roles.map((r) =>
        r.name.endsWith('/netreflex_natRoutesSync')
          ? { ...r, permissions: r.permissions.filter((p) => p !== 'compute.routes.list') }
          : r,
      ),
    };
    const { status, body } = await sync(planted);
    expect(status).toBe(422); // a permanent error: a person must act (the kernel's table: shared/reconcile/report.ts)
    expect(body.reasons.join(' ')).toContain(
      `Required 'compute.routes.list' permission for 'projects/${SAMPLE.project}'`,
    );
    expect(stack!.emulator.iamChecks).toContainEqual(
      expect.objectContaining({ member: SA, permission: 'compute.routes.list', allowed: false }),
    );
  });
});
