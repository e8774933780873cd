/** IAM Conditions in the local Google Cloud: the resource.name subset, judged exactly, and nothing else accepted. */
import { describe, expect, it } from 'vitest';
import { holds, parseCondition } from '../../emulator/iam/condition.js';
import { Iam } from '../../emulator/iam/policy.js';

describe('IAM conditions on resource.name', () => {
  it.each([
    ['resource.name == "projects/p/global/networks/vpc-a"', 'projects/p/global/networks/vpc-a', true],
    ['resource.name == "projects/p/global/networks/vpc-a"', 'projects/p/global/networks/vpc-b', false],
    ['resource.name != "projects/p/global/networks/vpc-a"', 'projects/p/global/networks/vpc-b', true],
    ['resource.name.startsWith("projects/p/global/routes/netreflex-")', 'projects/p/global/routes/netreflex-x', true],
    ['resource.name.startsWith("projects/p/global/routes/netreflex-")', 'projects/p/global/routes/evil', false],
    ['resource.name.endsWith("/nat-mig")', 'projects/p/regions/r/instanceGroupManagers/nat-mig', true],
    ['resource.name == "a" || resource.name == "b"', 'b', true],
    ['!(resource.name == "a") && resource.name.startsWith("b")', 'bc', true],
    ['true', 'anything', true],
  ])('%s on %s → %s', (expr, name, want) => {
    expect(holds(parseCondition(expr), name)).toBe(want);
  });

  it.each([
    'resource.type == "compute.googleapis.com/Instance"',
    'request.time < timestamp("2030-01-01T00:00:00Z")',
    'resource.name.matches("x")',
    'resource.name == ',
    'resource.name == "a" &&',
  ])('refuses what it cannot judge: %s', (expr) => {
    expect(() => parseCondition(expr)).toThrow(SyntaxError);
  });

  it('a conditional binding grants only where its condition holds, and a bad condition is refused at grant time', () => {
    const iam = new Iam();
    iam.defineRole('projects/p/roles/r', ['compute.routes.create']);
    iam.grant({
      member: 'serviceAccount:a@p.iam.gserviceaccount.com',
      role: 'projects/p/roles/r',
      resource: 'projects/p',
      condition: { title: 'mine', expression: 'resource.name.startsWith("projects/p/global/routes/netreflex-")' },
    });
    const who = { kind: 'member', member: 'serviceAccount:a@p.iam.gserviceaccount.com' } as const;
    expect(
      iam.check(who, 'compute.routes.create', 'projects/p/global/routes/netreflex-1', ['projects/p']).allowed,
    ).toBe(true);
    expect(iam.check(who, 'compute.routes.create', 'projects/p/global/routes/other', ['projects/p']).allowed).toBe(
      false,
    );
    expect(() =>
      iam.grant({
        member: 'serviceAccount:a@p.iam.gserviceaccount.com',
        role: 'projects/p/roles/r',
        resource: 'projects/p',
        condition: { title: 'x', expression: 'resource.type == "x"' },
      }),
    ).toThrow(SyntaxError);
  });
});
