/** The claim on a security policy's labels (shared/plan/allowlist-claim.ts): what they record, and who is kept away. */
import { describe, expect, it } from 'vitest';
import {
  CLAIM_LABEL,
  GENERATION_LABEL,
  LEASE_MS,
  OUR_LABELS,
  RUN_LABEL,
  SOURCE_LABEL,
  claimOf,
  newerThan,
} from '../../shared/plan/allowlist-claim.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const secondsAgo = (s: number) => Math.floor((NOW - s * 1000) / 1000);
const labelled = (labels: Record<string, string>) => ({ labels });

describe('claimOf: the labels as netreflex wrote them', () => {
  it('no labels, or none of ours: no claim at all', () => {
    expect(claimOf({})).toEqual({});
    expect(claimOf(labelled({ team: 'inference' }))).toEqual({});
  });

  it('every label read: held generation, source, claimed generation, run and claim time in ms', () => {
    const at = secondsAgo(30);
    expect(
      claimOf(
        labelled({
          [GENERATION_LABEL]: '1700000000000001',
          [SOURCE_LABEL]: 'a1b2c3d4e5f60718',
          [CLAIM_LABEL]: '1700000000000002',
          [RUN_LABEL]: `r-0123456789ab-${at}`,
        }),
      ),
    ).toEqual({
      generation: '1700000000000001',
      source: 'a1b2c3d4e5f60718',
      claim: '1700000000000002',
      run: 'r-0123456789ab',
      claimedAt: at * 1000,
    });
  });

  it('a run label without a claim time names the run and no time', () => {
    expect(claimOf(labelled({ [RUN_LABEL]: 'r-00ff' }))).toEqual({ run: 'r-00ff' });
  });

  it('labels that netreflex did not write that way read as absent', () => {
    expect(
      claimOf(
        labelled({
          [GENERATION_LABEL]: 'v2',
          [CLAIM_LABEL]: '12a',
          [RUN_LABEL]: 'run-1',
          [SOURCE_LABEL]: '',
        }),
      ),
    ).toEqual({});
    // Anchored: a valid value with anything around it is not one.
    expect(claimOf(labelled({ [GENERATION_LABEL]: ' 12', [CLAIM_LABEL]: '12 ' }))).toEqual({});
    expect(claimOf(labelled({ [RUN_LABEL]: 'xr-00ff' }))).toEqual({});
    expect(claimOf(labelled({ [RUN_LABEL]: 'r-00ff-12x' }))).toEqual({});
    expect(claimOf(labelled({ [RUN_LABEL]: 'r-00FF' }))).toEqual({});
    expect(claimOf(labelled({ [RUN_LABEL]: 'r-' }))).toEqual({});
  });

  it('the four labels are the ones netreflex owns', () => {
    expect([...OUR_LABELS].sort()).toEqual(
      [
        'netreflex-allowlist-claim',
        'netreflex-allowlist-generation',
        'netreflex-allowlist-run',
        'netreflex-allowlist-source',
      ].sort(),
    );
  });
});

describe('newerThan: the generation that keeps a sync away', () => {
  const live = (claim: string, secondsSince: number, generation?: string) =>
    labelled({
      ...(generation ? { [GENERATION_LABEL]: generation } : {}),
      [CLAIM_LABEL]: claim,
      [RUN_LABEL]: `r-abc-${secondsAgo(secondsSince)}`,
    });

  it('a policy holding a newer generation keeps an older sync away, and only an older one', () => {
    const holds = labelled({ [GENERATION_LABEL]: '20' });
    expect(newerThan(holds, '10', NOW)).toBe('20');
    expect(newerThan(holds, '20', NOW)).toBeUndefined();
    expect(newerThan(holds, '30', NOW)).toBeUndefined();
  });

  it('generations compare as int64, not as text or floating point', () => {
    expect(newerThan(labelled({ [GENERATION_LABEL]: '100' }), '99', NOW)).toBe('100');
    expect(newerThan(labelled({ [GENERATION_LABEL]: '9007199254740993' }), '9007199254740992', NOW)).toBe(
      '9007199254740993',
    );
  });

  it('a live claim of a newer generation keeps an older sync away; the same or a newer one takes it over', () => {
    expect(newerThan(live('20', 30), '10', NOW)).toBe('20');
    expect(newerThan(live('20', 30), '20', NOW)).toBeUndefined();
    expect(newerThan(live('20', 30), '25', NOW)).toBeUndefined();
  });

  it('a claim older than the lease (a crashed sync) keeps nobody away', () => {
    const leaseSeconds = LEASE_MS / 1000;
    expect(newerThan(live('20', leaseSeconds - 1), '10', NOW)).toBe('20');
    expect(newerThan(live('20', leaseSeconds), '10', NOW)).toBeUndefined();
    expect(newerThan(live('20', leaseSeconds + 60), '10', NOW)).toBeUndefined();
    expect(LEASE_MS).toBe(600_000);
  });

  it('a claim without a claim time is not live', () => {
    expect(newerThan(labelled({ [CLAIM_LABEL]: '20', [RUN_LABEL]: 'r-abc' }), '10', NOW)).toBeUndefined();
  });

  it('the held generation counts even when the claim is dead', () => {
    expect(newerThan(live('15', LEASE_MS / 1000 + 60, '20'), '10', NOW)).toBe('20');
    expect(newerThan(live('30', 5, '20'), '25', NOW)).toBe('30');
  });

  it('a sync of no generation, or of one that is not a generation (a local file), is never kept away', () => {
    const holds = labelled({ [GENERATION_LABEL]: '20' });
    expect(newerThan(holds, undefined, NOW)).toBeUndefined();
    expect(newerThan(holds, 'local', NOW)).toBeUndefined();
    expect(newerThan(holds, '1x', NOW)).toBeUndefined();
    expect(newerThan(holds, 'x1', NOW)).toBeUndefined();
  });
});
