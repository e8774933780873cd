/**
 * The Vertex AI preflight's verdict (shared/plan/ranges-preflight.ts): which active jobs of the
 * region have a network and which are on another one, the jobs that share ours, the refusal's
 * words, and the plan made only when nothing blocks.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTIVE_JOB_STATES,
  ACTIVE_PIPELINE_STATES,
  jobsOnNetwork,
  planAfterPreflight,
  preflightReport,
  PreflightRefusal,
  type PreflightReport,
} from '../../shared/plan/ranges-preflight.js';
import { planRanges } from '../../shared/plan/ranges.js';
import { DEFAULT_RANGE_OPTIONS } from '../../shared/plan/ranges-types.js';
import type { CustomJob, PipelineJob } from '../../shared/gcp/vertex.js';
import { SafetyError } from '../../shared/errors.js';
import { request, sampleObserved } from './fixtures.js';

const OURS = { project: 'my-project', projectNumber: '123', name: 'vpc-a' };
const REGION = 'asia-northeast1';
const pipeline = (name: string, network?: string, extra: Partial<PipelineJob> = {}): PipelineJob => ({
  name: `projects/123/locations/${REGION}/pipelineJobs/${name}`,
  displayName: name,
  state: 'PIPELINE_STATE_RUNNING',
  ...(network !== undefined ? { network } : {}),
  ...extra,
});
const custom = (name: string, network?: string, extra: Partial<CustomJob> = {}): CustomJob => ({
  name: `projects/123/locations/${REGION}/customJobs/${name}`,
  displayName: name,
  state: 'JOB_STATE_QUEUED',
  ...(network !== undefined ? { jobSpec: { network } } : {}),
  ...extra,
});

describe('the states that count as active', () => {
  it('running, pending, queued and cancelling, for pipeline jobs and custom jobs', () => {
    expect(ACTIVE_PIPELINE_STATES).toEqual([
      'PIPELINE_STATE_RUNNING',
      'PIPELINE_STATE_PENDING',
      'PIPELINE_STATE_QUEUED',
      'PIPELINE_STATE_CANCELLING',
    ]);
    expect(ACTIVE_JOB_STATES).toEqual([
      'JOB_STATE_RUNNING',
      'JOB_STATE_PENDING',
      'JOB_STATE_QUEUED',
      'JOB_STATE_CANCELLING',
    ]);
  });
});

describe('preflightReport', () => {
  it('nothing active: nothing blocks', () => {
    expect(preflightReport(REGION, [], [], OURS)).toEqual({ region: REGION, active: 0, otherNetwork: [] });
  });

  it('jobs on our network, by number or by id, count as active and do not block', () => {
    const report = preflightReport(
      REGION,
      [pipeline('p1', 'projects/123/global/networks/vpc-a')],
      [custom('c1', 'projects/my-project/global/networks/vpc-a')],
      OURS,
    );
    expect(report).toEqual({ region: REGION, active: 2, otherNetwork: [] });
  });

  it('jobs without a network do not use PSA: not counted, never blocking', () => {
    expect(preflightReport(REGION, [pipeline('p1')], [custom('c1'), custom('c2', '')], OURS)).toEqual({
      region: REGION,
      active: 0,
      otherNetwork: [],
    });
  });

  it('a job on another network is named with its kind, name, display name, state and network', () => {
    const report = preflightReport(
      REGION,
      [pipeline('p1', 'projects/123/global/networks/vpc-b'), pipeline('p2', 'projects/123/global/networks/vpc-a')],
      [custom('c1', 'projects/other/global/networks/vpc-a')],
      OURS,
    );
    expect(report).toEqual({
      region: REGION,
      active: 3,
      otherNetwork: [
        {
          kind: 'pipelineJob',
          name: `projects/123/locations/${REGION}/pipelineJobs/p1`,
          displayName: 'p1',
          state: 'PIPELINE_STATE_RUNNING',
          network: 'projects/123/global/networks/vpc-b',
        },
        {
          kind: 'customJob',
          name: `projects/123/locations/${REGION}/customJobs/c1`,
          displayName: 'c1',
          state: 'JOB_STATE_QUEUED',
          network: 'projects/other/global/networks/vpc-a',
        },
      ],
    });
  });

  it('a job without a state or a display name is named with an empty state and no display name', () => {
    const report = preflightReport(
      REGION,
      [{ name: 'p', network: 'projects/1/global/networks/vpc-b' }],
      [{ name: 'c', jobSpec: { network: 'projects/1/global/networks/vpc-b' } }],
      OURS,
    );
    expect(report.otherNetwork).toEqual([
      {
        kind: 'pipelineJob',
        name: 'p',
        displayName: undefined,
        state: '',
        network: 'projects/1/global/networks/vpc-b',
      },
      { kind: 'customJob', name: 'c', displayName: undefined, state: '', network: 'projects/1/global/networks/vpc-b' },
    ]);
  });
});

describe('jobsOnNetwork: what shares our ranges', () => {
  it('only the jobs on our network, each list apart; jobs without a network are not ours', () => {
    const p1 = pipeline('p1', 'projects/123/global/networks/vpc-a');
    const c1 = custom('c1', 'projects/my-project/global/networks/vpc-a');
    expect(
      jobsOnNetwork(
        [p1, pipeline('p2', 'projects/123/global/networks/vpc-b'), pipeline('p3'), pipeline('p4', '')],
        [c1, custom('c2', 'projects/123/global/networks/vpc-b'), custom('c3'), custom('c4', '')],
        OURS,
      ),
    ).toEqual({ pipelineJobs: [p1], customJobs: [c1] });
  });

  it('a custom job with a job spec but no network is not ours', () => {
    expect(jobsOnNetwork([], [custom('c', undefined, { jobSpec: {} })], OURS)).toEqual({
      pipelineJobs: [],
      customJobs: [],
    });
  });
});

const BLOCKING: PreflightReport = {
  region: REGION,
  active: 2,
  otherNetwork: [
    { kind: 'pipelineJob', name: 'jobs/p1', displayName: 'train', state: 'PIPELINE_STATE_RUNNING', network: 'nets/b' },
    { kind: 'customJob', name: 'jobs/c1', state: 'JOB_STATE_QUEUED', network: 'nets/c' },
  ],
};

describe('PreflightRefusal', () => {
  it('names every blocking job, the region and our network, and says what to do; a 409 conflict', () => {
    const err = new PreflightRefusal(BLOCKING, 'projects/123/global/networks/vpc-a');
    expect(err).toBeInstanceOf(SafetyError);
    expect(err.failureKind).toBe('conflict');
    expect(err.report).toBe(BLOCKING);
    expect(err.message).toBe(
      'Vertex AI preflight: 2 job(s) in asia-northeast1 use another network, and Vertex uses one network per region at a time, ' +
        'so a run on projects/123/global/networks/vpc-a would fail: jobs/p1 (train, PIPELINE_STATE_RUNNING, nets/b); ' +
        'jobs/c1 (, JOB_STATE_QUEUED, nets/c). Wait for them to finish or cancel them, then retry.',
    );
  });
});

describe('planAfterPreflight', () => {
  const clear: PreflightReport = { region: REGION, active: 1, otherNetwork: [] };
  const obs = (preflight: PreflightReport) => ({
    observed: sampleObserved(),
    consumerNetwork: 'projects/123/global/networks/vpc-a',
    preflight,
  });

  it('nothing blocks: the plan of the observed network, with the options given', () => {
    const options = { ...DEFAULT_RANGE_OPTIONS, namePrefix: 'custom-psa-' };
    const req = request({ parallelJobs: 4 });
    expect(planAfterPreflight(req, obs(clear), options)).toEqual(planRanges(req, sampleObserved(), options));
    expect(planAfterPreflight(req, obs(clear), options).allocate[0]?.name).toBe('custom-psa-vpc-a-10-98-16-0-20');
  });

  it('a job on another network: refused, naming our network, before any plan', () => {
    let thrown: unknown;
    try {
      planAfterPreflight(request(), obs(BLOCKING), {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PreflightRefusal);
    expect((thrown as PreflightRefusal).report).toBe(BLOCKING);
    expect((thrown as Error).message).toContain('so a run on projects/123/global/networks/vpc-a would fail');
  });
});
