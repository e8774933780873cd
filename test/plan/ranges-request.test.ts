/**
 * The peered-range request as the HTTP function and the CLI validate it (parseRangeRequest): what
 * passes, how a network path is read, and the exact words of every refusal — the caller sees them;
 * and the input as peeringRanges reads it (shared/plan/ranges-request.ts): config's network and
 * region where the caller names none.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { parseRangeRequest, parseReleaseRequest } from '../../shared/plan/ranges-types.js';
import { rangeRequestFrom, releaseRequestFrom } from '../../shared/plan/ranges-request.js';

const valid = { parallelJobs: 4, nodesPerJob: 8, network: 'vpc-a', region: 'asia-northeast1' };

/** The problems a refused request lists (fails the test when it is accepted). */
function problems(input: unknown): readonly string[] {
  try {
    parseRangeRequest(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split('\n')[0]).toBe(
      'peeringRanges: the request is invalid; change these and retry:',
    );
    return (err as ConfigError).problems;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

const NETWORK_PROBLEM =
  'network: network must be a network name matching ^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$ (or projects/PROJECT/global/networks/NAME)';
const REGION_PROBLEM = 'region: region must match ^[a-z]+-[a-z]+[0-9]+$ (e.g. asia-northeast1)';
const RUN_ID_PROBLEM = 'runId: runId must match ^[a-z0-9][-_a-z0-9]{0,62}$';

describe('parseRangeRequest: what passes', () => {
  it('a full request comes back as given', () => {
    const full = { ...valid, displayName: 'x'.repeat(128), runId: 'wf-exec_1', connectionsPerDestination: 0 };
    expect(parseRangeRequest(full)).toEqual(full);
  });

  it.each([
    'projects/my-project/global/networks/vpc-a',
    'https://www.googleapis.com/compute/v1/projects/my-project/global/networks/vpc-a',
    'https://compute.googleapis.com/compute/beta/projects/p/global/networks/vpc-a',
  ])('network %s is read as its name', (network) => {
    expect(parseRangeRequest({ ...valid, network }).network).toBe('vpc-a');
  });

  it.each(['a', 'vpc-a', `a${'b'.repeat(61)}c`])('network name %s (1 to 63 characters) passes', (network) => {
    expect(parseRangeRequest({ ...valid, network }).network).toBe(network);
  });

  it.each(['us-central1', 'europe-west12', 'northamerica-northeast2'])('region %s passes', (region) => {
    expect(parseRangeRequest({ ...valid, region }).region).toBe(region);
  });

  it.each(['0', 'run-1', 'a'.repeat(63)])('run id %s passes', (runId) => {
    expect(parseRangeRequest({ ...valid, runId }).runId).toBe(runId);
  });
});

describe('parseRangeRequest: what is refused, in the words the caller sees', () => {
  it('an unknown field is named, every one of them, on the request itself', () => {
    expect(problems({ ...valid, exportCustumRoutes: true, foo: 1 })).toEqual([
      '(request): unknown field(s) "exportCustumRoutes", "foo"',
    ]);
  });

  it('something that is not an object is refused on the request itself', () => {
    expect(problems(null)).toEqual(['(request): Invalid input: expected object, received null']);
  });

  it('wrong types: each field says what it must be', () => {
    expect(
      problems({
        parallelJobs: '4',
        nodesPerJob: '8',
        network: 5,
        region: 5,
        displayName: 5,
        runId: 5,
        connectionsPerDestination: '10',
      }),
    ).toEqual([
      'parallelJobs: parallelJobs must be a number',
      'nodesPerJob: nodesPerJob must be a number',
      'network: network must be a string',
      'region: region must be a string',
      'displayName: displayName must be a string',
      'runId: runId must be a string',
      'connectionsPerDestination: connectionsPerDestination must be a number',
    ]);
  });

  it('a list holding a network path is not a network', () => {
    expect(problems({ ...valid, network: ['projects/p/global/networks/vpc-a'] })).toEqual([
      'network: network must be a string',
    ]);
  });

  it('fractions and numbers out of range say which bound', () => {
    expect(problems({ ...valid, parallelJobs: 1.5, nodesPerJob: 2.5, connectionsPerDestination: 0.5 })).toEqual([
      'parallelJobs: parallelJobs must be a whole number',
      'nodesPerJob: nodesPerJob must be a whole number',
      'connectionsPerDestination: connectionsPerDestination must be a whole number',
    ]);
    expect(problems({ ...valid, parallelJobs: 0, nodesPerJob: 0, connectionsPerDestination: -1 })).toEqual([
      'parallelJobs: parallelJobs must be at least 1 (the number of pipeline components that run at the same time)',
      'nodesPerJob: nodesPerJob must be at least 1 (every replica of every worker pool of one job)',
      'connectionsPerDestination: connectionsPerDestination must be at least 0',
    ]);
    expect(problems({ ...valid, parallelJobs: 100_001 })).toEqual([
      'parallelJobs: parallelJobs must be at most 100000',
    ]);
  });

  it('empty names say what to set', () => {
    expect(problems({ ...valid, network: '', region: '' })).toEqual([
      'network: network must name VPC A (e.g. vpc-a)',
      NETWORK_PROBLEM,
      'region: region must be set (e.g. asia-northeast1)',
      REGION_PROBLEM,
    ]);
  });

  it.each([
    ['upper case', 'Vpc-a'],
    ['a trailing hyphen', 'vpc-a-'],
    ['a leading digit', '1vpc'],
    ['64 characters', `a${'b'.repeat(62)}c`],
    ['a path with more after the network', 'projects/p/global/networks/vpc-a/peerings'],
    ['a path that does not start at projects/', 'xprojects/p/global/networks/vpc-a'],
    ['a path with no project', 'projects//global/networks/vpc-a'],
    ['a path with no network', 'projects/p/global/networks/'],
  ])('a network with %s is refused', (_what, network) => {
    expect(problems({ ...valid, network })).toEqual([NETWORK_PROBLEM]);
  });

  it.each(['Asia-northeast1', 'asia-northeast1/../x', 'x/asia-northeast1', 'asia-northeast', 'asia-northeast1a'])(
    'region %s is refused',
    (region) => {
      expect(problems({ ...valid, region })).toEqual([REGION_PROBLEM]);
    },
  );

  it.each(['-run', 'Run-1', 'run/1', 'run.1', 'a'.repeat(64)])('run id %s is refused', (runId) => {
    expect(problems({ ...valid, runId })).toEqual([RUN_ID_PROBLEM]);
  });

  it('a display name over 128 characters is refused', () => {
    expect(problems({ ...valid, displayName: 'x'.repeat(129) })).toEqual([
      'displayName: displayName must be at most 128 characters',
    ]);
  });
});

describe("parseReleaseRequest: dropping a prepared run's reservation", () => {
  const release = { runId: 'wf-exec_1', network: 'projects/p/global/networks/vpc-a', region: 'asia-northeast1' };

  /** The problems a refused release lists (fails the test when it is accepted). */
  function releaseProblems(input: unknown): readonly string[] {
    try {
      parseReleaseRequest(input);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error(`accepted ${JSON.stringify(input)}`);
  }

  it('a run id, a network (read as its name) and a region pass', () => {
    expect(parseReleaseRequest(release)).toEqual({ runId: 'wf-exec_1', network: 'vpc-a', region: 'asia-northeast1' });
  });

  it("the run id is required and checked like a preparation's; network and region too", () => {
    expect(releaseProblems({ network: 'vpc-a', region: 'asia-northeast1' })).toEqual(['runId: runId must be a string']);
    expect(releaseProblems({ ...release, runId: 'Run/1' })).toEqual([RUN_ID_PROBLEM]);
    expect(releaseProblems({ ...release, network: 'Vpc-a', region: 'asia' })).toEqual([
      NETWORK_PROBLEM,
      REGION_PROBLEM,
    ]);
  });

  it("anything else is an unknown field, a preparation's fields included", () => {
    expect(releaseProblems({ ...release, parallelJobs: 4, dryRun: true })).toEqual([
      '(request): unknown field(s) "parallelJobs", "dryRun"',
    ]);
  });
});

describe('rangeRequestFrom and releaseRequestFrom: the network and region from config where the input names none', () => {
  const cfg = { network: 'vpc-cfg', region: 'europe-west1' };
  const jobs = { parallelJobs: 4, nodesPerJob: 8 };

  /** The problems the input's refusal lists (fails the test when it is accepted). */
  function refusal(input: unknown, defaults = cfg): readonly string[] {
    try {
      rangeRequestFrom(input, defaults);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error(`accepted ${JSON.stringify(input)}`);
  }
  const MISSING_JOBS = ['parallelJobs: parallelJobs must be a number', 'nodesPerJob: nodesPerJob must be a number'];

  it("an input naming neither gets config's network and region", () => {
    expect(rangeRequestFrom(jobs, cfg)).toEqual({ ...jobs, network: 'vpc-cfg', region: 'europe-west1' });
  });

  it("the input's own network (a path, read as its name) and region win over config's", () => {
    const input = { ...jobs, network: 'projects/p/global/networks/vpc-a', region: 'asia-northeast1', runId: 'r-1' };
    expect(rangeRequestFrom(input, cfg)).toEqual({
      ...jobs,
      network: 'vpc-a',
      region: 'asia-northeast1',
      runId: 'r-1',
    });
  });

  it('the input is not changed', () => {
    const input = { ...jobs };
    rangeRequestFrom(input, cfg);
    expect(input).toEqual(jobs);
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a string', 'vpc-a'],
    ['an array', [4, 8]],
    ['a number', 4],
  ])('%s is read as an empty request: only the jobs are missing, the defaults apply', (_what, input) => {
    expect(refusal(input)).toEqual(MISSING_JOBS);
  });

  it("a config default is checked like the caller's own", () => {
    expect(refusal(jobs, { network: 'Vpc', region: 'asia' })).toEqual([NETWORK_PROBLEM, REGION_PROBLEM]);
  });

  it("a release: config's network and region, or its own", () => {
    expect(releaseRequestFrom({ runId: 'wf-1' }, cfg)).toEqual({
      runId: 'wf-1',
      network: 'vpc-cfg',
      region: 'europe-west1',
    });
    expect(releaseRequestFrom({ runId: 'wf-1', network: 'vpc-a', region: 'asia-northeast1' }, cfg)).toEqual({
      runId: 'wf-1',
      network: 'vpc-a',
      region: 'asia-northeast1',
    });
  });

  it('a release of nothing names only the missing run id', () => {
    let problems: readonly string[] = [];
    try {
      releaseRequestFrom(null, cfg);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual(['runId: runId must be a string']);
  });
});
