/**
 * One CIDR parser at every boundary: the environment, the allowlist file and the route planner all
 * read a CIDR through shared/net's parser and keep its canonical form, so a destination written
 * two ways is one route, and a form some tools read differently (`010.0.0.0/8`: octal 8.0.0.0/8 to
 * inet_aton and ipaddr.js, decimal 10.0.0.0/8 to Google) is refused with the form to write instead.
 */
import { describe, expect, it } from 'vitest';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { EnvConfigError } from '../../shared/config/env.js';
import { parseAllowlist } from '../../shared/allowlist/parse.js';
import { formatProblem } from '../../shared/allowlist/problems.js';
import { isEmptyPlan, planRoutes, type PlanInput } from '../../shared/plan/routes.js';

const NAT_ENV = { NETREFLEX_PROJECT: 'demo-proj', NETREFLEX_PROJECT_NUMBER: '1234567' };
const RANGES_ENV = { ...NAT_ENV, NETREFLEX_STATE_BUCKET: 'demo-state' };

function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(EnvConfigError);
    return [...(err as EnvConfigError).problems];
  }
  expect.fail('expected the configuration to be refused');
}

describe('environment', () => {
  it('refuses a leading-zero octet, naming the variable and the form to write', () => {
    const problems = configProblems(() =>
      loadNatRoutesConfig({ ...NAT_ENV, NETREFLEX_DESTINATIONS: '198.51.100.0/24,010.0.0.0/8' }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NETREFLEX_DESTINATIONS: /);
    expect(problems[0]).toContain('"010.0.0.0/8"');
    expect(problems[0]).toContain('write 10.0.0.0/8');
  });

  it('names the variable (not "required") for an item with host bits, and says what was meant', () => {
    const problems = configProblems(() => loadNatRoutesConfig({ ...NAT_ENV, NETREFLEX_DESTINATIONS: '10.0.0.1/8' }));
    expect(problems).toEqual([
      expect.stringMatching(
        /^NETREFLEX_DESTINATIONS: "10\.0\.0\.1\/8" has host bits set; did you mean 10\.0\.0\.0\/8\?/,
      ),
    ]);
  });

  it('stores the canonical form, so the routes it plans compare equal to what Compute returns', () => {
    const config = loadNatRoutesConfig({ ...NAT_ENV, NETREFLEX_DESTINATIONS: '2001:DB8:0::/32 198.51.100.0/24' });
    expect(config.destinations).toEqual(['2001:db8::/32', '198.51.100.0/24']);
  });

  it('refuses leading zeros in peeringRanges pools and reserved ranges too', () => {
    const problems = configProblems(() =>
      loadPeeringRangesConfig({
        ...RANGES_ENV,
        NETREFLEX_PSA_POOL: '10.96.0.0/12',
        NETREFLEX_RESERVED_RANGES: '172.016.0.0/12',
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^NETREFLEX_RESERVED_RANGES: .*write 172\.16\.0\.0\/12/)]);
  });
});

describe('allowlist file', () => {
  it('refuses a leading-zero octet with the form to write, on its line', () => {
    const file = [
      'version: 1',
      'policies: [p]',
      'lists:',
      '  l:',
      '    entries:',
      '      - cidr: 198.051.100.0/24',
      '        description: d',
    ].join('\n');
    const result = parseAllowlist(file, 'allowlist.yaml');
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    expect(lines).toEqual([
      expect.stringMatching(
        /^allowlist\.yaml:6:\d+: lists\.l\.entries\[0\]\.cidr: "198\.051\.100\.0\/24" .*write 198\.51\.100\.0\/24/,
      ),
    ]);
  });
});

describe('route planner', () => {
  const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
  const OWNER = 'projects/p/regions/asia-northeast1/instanceGroupManagers/nat-mig';
  const nat = {
    name: 'nat-a',
    url: 'https://www.googleapis.com/compute/v1/projects/p/zones/asia-northeast1-a/instances/nat-a',
    instanceStatus: 'RUNNING',
    currentAction: 'NONE',
    health: 'HEALTHY',
  };
  const input = (destinations: string[], routes: PlanInput['routes'] = []): PlanInput => ({
    network: NET,
    destinations,
    priority: 900,
    prefix: 'netreflex',
    owner: OWNER,
    mode: 'instance',
    instances: [nat],
    gone: [],
    routes,
    now: 0,
    holds: { joinMs: 0, unhealthyMs: 0 },
    requireHealthy: true,
    policy: 'sync',
  });

  it('plans a destination written another way as the route that exists: no changes', () => {
    // What Compute holds after inserting the planned route: IPv6 displayed in RFC 5952 form.
    const stored = planRoutes(input(['2001:db8::/32'])).inserts;
    expect(stored.map((r) => r.destRange)).toEqual(['2001:db8::/32']);
    expect(isEmptyPlan(planRoutes(input(['2001:DB8:0::/32'], stored)))).toBe(true);
  });

  it('plans one route for a destination listed twice in two spellings', () => {
    expect(planRoutes(input(['2001:db8::/32', '2001:DB8::/32'])).inserts).toHaveLength(1);
  });
});
