/** The Logging query subset the monitoring checks evaluate: each rule pinned, precedence included. */
import { describe, expect, it } from 'vitest';
import { cloudRunEntry, extractLabel, matches, parseQuery } from './logging-query.js';

const entry = cloudRunEntry('netreflex-nat-routes', {
  severity: 'WARNING',
  message: 'natRoutes: degraded: +0 -0 routes',
  status: 'degraded',
  mutations: 0,
  trigger: 'scheduled safety-net sync',
  refusal: { kind: 'world-open' },
});

describe('Logging query subset', () => {
  it.each([
    ['resource.type="cloud_run_revision"', true],
    ['resource.labels.service_name="netreflex-nat-routes" AND jsonPayload.status="degraded"', true],
    ['jsonPayload.status=("ok" OR "degraded")', true],
    ['jsonPayload.status=("ok" OR "failed")', false],
    ['jsonPayload.mutations>=0', true],
    ['jsonPayload.mutations>0', false],
    ['jsonPayload.status:*', true],
    ['jsonPayload.missing:*', false],
    ['jsonPayload.trigger=~"^scheduled"', true],
    ['jsonPayload.trigger!~"^scheduled"', false],
    ['jsonPayload.message:"DEGRADED"', true],
    ['severity>=WARNING', true],
    ['severity>=ERROR', false],
    ['NOT jsonPayload.status="degraded"', false],
    ['NOT jsonPayload.status=("failed" OR "refused")', true],
    ['jsonPayload.status="degraded" jsonPayload.mutations=0', true],
    ['jsonPayload.refusal.kind="world-open"', true],
    ['jsonPayload.missing="x"', false],
    ['jsonPayload.missing!="x"', false],
  ])('%s → %s', (q, hit) => {
    expect(matches(q, entry)).toBe(hit);
  });

  it('OR binds tighter than AND, as the language documents: a OR b AND c is (a OR b) AND c', () => {
    // With AND over OR this would be true (jsonPayload.status="degraded" alone).
    expect(matches('jsonPayload.status="degraded" OR jsonPayload.status="ok" AND jsonPayload.mutations>5', entry)).toBe(
      false,
    );
    expect(
      matches('jsonPayload.status="degraded" OR (jsonPayload.status="ok" AND jsonPayload.mutations>5)', entry),
    ).toBe(true);
  });

  it.each([
    'jsonPayload.status=',
    'jsonPayload.status="x',
    '(jsonPayload.status="x"',
    'jsonPayload.status ~ "x"',
    'severity>=LOUD',
  ])('refuses what it cannot read: %s', (q) => {
    expect(() => matches(q, entry)).toThrow(SyntaxError);
  });

  it('parses the whole input or nothing', () => {
    expect(() => parseQuery('a="x")')).toThrow(SyntaxError);
  });

  it('extracts labels with EXTRACT and REGEXP_EXTRACT', () => {
    expect(extractLabel('EXTRACT(jsonPayload.status)', entry)).toBe('degraded');
    expect(extractLabel('EXTRACT(resource.labels.service_name)', entry)).toBe('netreflex-nat-routes');
    expect(extractLabel('EXTRACT(jsonPayload.refusal)', entry)).toBeUndefined();
    expect(extractLabel('REGEXP_EXTRACT(jsonPayload.trigger, "^(\\\\w+)")', entry)).toBe('scheduled');
    expect(() => extractLabel('SPLIT(jsonPayload.status)', entry)).toThrow(SyntaxError);
  });

  it('maps a structured line the way Cloud Run does: severity out, the rest under jsonPayload', () => {
    expect(entry).toMatchObject({
      severity: 'WARNING',
      jsonPayload: { message: 'natRoutes: degraded: +0 -0 routes', status: 'degraded' },
      resource: { type: 'cloud_run_revision', labels: { service_name: 'netreflex-nat-routes' } },
    });
    expect(entry.jsonPayload).not.toHaveProperty('severity');
  });
});
