/**
 * The roles of terraform-bootstrap/iam.tf against what the functions and the workflow actually
 * called in this run's end-to-end tests (test/iam/usage.ts): nothing refused, nothing granted that
 * no call used. Runs after every other test file (vitest.config.ts: its own project, a later group),
 * on the checks every local stack running iam.tf wrote to NETREFLEX_IAM_CHECKS_DIR.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleIam, type StackIam } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { readRun, suiteFiles, usageProblems, type Run } from './usage.js';

const DIR = process.env.NETREFLEX_IAM_CHECKS_DIR;
const SELF = 'test/iam/usage.test.ts';
/** The files of vitest.config.ts's late group, which run beside this one. */
const LATE = [SELF, 'test/schema/reply-findings.test.ts'];
const NAT_ROUTES_ROLE = `projects/${SAMPLE.project}/roles/netreflex_natRoutes`;

let run: Run;
let iam: StackIam;

beforeAll(async () => {
  if (!DIR) throw new Error('NETREFLEX_IAM_CHECKS_DIR is not set: run this through vitest.config.ts (npm test)');
  run = readRun(DIR);
  iam = await sampleIam();
});

afterAll(() => {
  if (!DIR) return;
  rmSync(DIR, { recursive: true, force: true });
  // Runs that were stopped before this file left their directories behind; an hour is longer than any run.
  const parent = dirname(DIR);
  for (const d of readdirSync(parent))
    if (Date.now() - statSync(join(parent, d)).mtimeMs > 3_600_000)
      rmSync(join(parent, d), { recursive: true, force: true });
});

const withRole = (name: string, edit: (permissions: string[]) => string[]): StackIam => ({
  ...iam,
  roles: iam.roles.map((r) => (r.name === name ? { ...r, permissions: edit([...r.permissions]) } : r)),
});

describe('iam.tf against the calls of the end-to-end tests', () => {
  it('ran after the whole suite, in this run', () => {
    const missing = suiteFiles(LATE).filter((f) => !run.ran.includes(f));
    expect(
      missing,
      `these test files did not run in this vitest run, so the calls they make are unknown here; run the whole suite (npm test)`,
    ).toEqual([]);
    expect(run.files.length).toBeGreaterThan(0);
  });

  it('the local Google Cloud refused no call of a function or the workflow', () => {
    const refused = run.files.flatMap((f) =>
      f.checks
        .filter((c) => !c.allowed)
        .map((c) => `${c.member} ${c.methodId}: ${c.permission} on ${c.resource} (${f.source})`),
    );
    expect(refused).toEqual([]);
  });

  it('iam.tf grants exactly what those calls needed: none refused, no grant unused', () => {
    expect(usageProblems(iam, run.files)).toEqual([]);
  });
});

describe('a planted mistake in iam.tf fails on the same calls', () => {
  it('natRoutes without compute.routes.list: its calls are refused, naming the permission', () => {
    const problems = usageProblems(
      withRole(NAT_ROUTES_ROLE, (p) => p.filter((x) => x !== 'compute.routes.list')),
      run.files,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^natRoutes \(netreflex-nat-routes@netreflex-demo\.iam\.gserviceaccount\.com\) was refused compute\.routes\.list: compute\.routes\.list on projects\/netreflex-demo in test\/.*production answers this call 403$/,
      ),
    ]);
  });

  it('natRoutes with compute.networks.removePeering besides: the unused grant is named with its role', () => {
    const problems = usageProblems(
      withRole(NAT_ROUTES_ROLE, (p) => [...p, 'compute.networks.removePeering']),
      run.files,
    );
    expect(problems).toEqual([
      `role ${NAT_ROUTES_ROLE}, bound to natRoutes (netreflex-nat-routes@netreflex-demo.iam.gserviceaccount.com) on projects/netreflex-demo, grants compute.networks.removePeering, which no call of the end-to-end tests needed: remove it from iam.tf (or add the test that makes the call)`,
    ]);
  });
});
