/**
 * natRoutes' report (shared/plan/route-report.ts) and its export verdict (shared/plan/route-export.ts):
 * what one pass comes to — the instances as judged, the plan's names, warnings and blocks, held
 * deletes, refused and transient changes, the load balancer, the export — and the status that
 * follows; how passes merge; the report of a pass that threw.
 */
import { describe, expect, it } from 'vitest';
import {
  failedReport,
  mergeReports,
  routeReport,
  type ChangeResult,
  type RoutePass,
  type RouteReport,
} from '../../shared/plan/route-report.js';
import { exportProblems, type ExportReport } from '../../shared/plan/route-export.js';
import type { NatInstance, RoutePlan, RouteSpec } from '../../shared/plan/routes.js';
import { ApiError, ConfigError } from '../../shared/errors.js';

const ZONE = 'projects/p/zones/asia-northeast1-a/instances';
const url = (name: string) => `https://www.googleapis.com/compute/v1/${ZONE}/${name}`;
const path = (name: string) => `${ZONE}/${name}`;
const vm = (name: string, over: Partial<NatInstance> = {}): NatInstance => ({
  name,
  url: url(name),
  instanceStatus: 'RUNNING',
  currentAction: 'NONE',
  health: 'HEALTHY',
  ...over,
});
const spec = (name: string, destRange = '10.0.0.0/8'): RouteSpec => ({
  name,
  network: 'n',
  destRange,
  priority: 900,
  description: 'd',
});

const CFG: Parameters<typeof routeReport>[0] = {
  mode: 'instance',
  requireHealthy: true,
  peering: 'psa',
  exportMode: 'ensure',
};

const plan = (over: Partial<RoutePlan> = {}): RoutePlan => ({
  desired: [],
  inserts: [],
  deletes: [],
  keeps: [],
  holds: { inserts: [], deletes: [] },
  conflicts: [],
  plannedAround: [],
  untimedHolds: [],
  blocked: [],
  states: [],
  pending: [],
  degraded: [],
  ...over,
});

const exported = (over: Partial<ExportReport> = {}): ExportReport => ({
  peering: 'psa',
  state: 'ACTIVE',
  exportCustomRoutes: true,
  enabledNow: false,
  exported: ['10.0.0.0/8'],
  missing: [],
  ...over,
});

const result = (over: Partial<ChangeResult>): ChangeResult => ({
  change: 'insert',
  name: 'r',
  ok: true,
  ms: 5,
  ...over,
});

const pass = (over: Partial<RoutePass> = {}): RoutePass => ({
  observed: { instances: [] },
  plan: plan(),
  results: [],
  ...over,
});

const report = (over: Partial<RoutePass> = {}, dryRun = false, cfg = CFG) => routeReport(cfg, pass(over), dryRun);

describe('routeReport of a pass with nothing to do', () => {
  it('ok, every field in its place and no optional one', () => {
    const r = report({ observed: { instances: [vm('nat-a')] } });
    expect(r).toStrictEqual({
      status: 'ok',
      reasons: [],
      warnings: [],
      dryRun: false,
      mode: 'instance',
      instances: [
        { name: 'nat-a', eligible: true, instanceStatus: 'RUNNING', currentAction: 'NONE', health: 'HEALTHY' },
      ],
      plan: { inserts: [], deletes: [], keeps: 0, holds: { inserts: [], deletes: [] } },
      conflicts: [],
      blocked: [],
      results: [],
      mutations: 0,
      retry: false,
      settling: false,
      passes: 1,
    });
  });

  it('keeps the field order of the JSON it is logged, published and answered as', () => {
    const r = report({
      observed: { instances: [], ilb: { forwardingRule: 'fr', backends: [{ healthState: 'HEALTHY' }] } },
      plan: plan({ pending: [{ instance: path('a'), kind: 'join', at: 7 }] }),
      verified: exported(),
    });
    expect(Object.keys(r)).toEqual([
      'status',
      'reasons',
      'warnings',
      'dryRun',
      'mode',
      'instances',
      'plan',
      'conflicts',
      'blocked',
      'results',
      'mutations',
      'retry',
      'settling',
      'nextLookAt',
      'passes',
      'loadBalancer',
      'export',
    ]);
  });

  it('says dry run and the mode it was given', () => {
    expect(report({}, true, { ...CFG, mode: 'ilb' })).toMatchObject({ dryRun: true, mode: 'ilb', status: 'ok' });
  });
});

describe('routeReport: the instances as the planner judged them', () => {
  it('eligible by the planner rule, its state matched by resource path, its status, action and health as read', () => {
    const r = report({
      observed: {
        instances: [
          vm('nat-a'),
          vm('nat-b', { health: 'UNHEALTHY' }),
          vm('nat-c', { instanceStatus: 'STOPPING', currentAction: undefined, health: undefined }),
        ],
      },
      plan: plan({
        states: [
          { instance: path('nat-a'), state: 'routed' },
          { instance: path('nat-b'), state: 'leaving' },
        ],
      }),
    });
    expect(r.instances).toStrictEqual([
      {
        name: 'nat-a',
        eligible: true,
        state: 'routed',
        instanceStatus: 'RUNNING',
        currentAction: 'NONE',
        health: 'HEALTHY',
      },
      {
        name: 'nat-b',
        eligible: false,
        state: 'leaving',
        instanceStatus: 'RUNNING',
        currentAction: 'NONE',
        health: 'UNHEALTHY',
      },
      { name: 'nat-c', eligible: false, instanceStatus: 'STOPPING', currentAction: undefined, health: undefined },
    ]);
  });

  it('an unhealthy VM is eligible when health is not required', () => {
    const r = report({ observed: { instances: [vm('nat-b', { health: 'UNHEALTHY' })] } }, false, {
      ...CFG,
      requireHealthy: false,
    });
    expect(r.instances.map((i) => i.eligible)).toEqual([true]);
  });

  it('settling while a VM is mid-action; an idle VM or one without an action is not', () => {
    expect(report({ observed: { instances: [vm('a'), vm('b', { currentAction: 'RECREATING' })] } }).settling).toBe(
      true,
    );
    expect(report({ observed: { instances: [vm('a'), vm('b', { currentAction: undefined })] } }).settling).toBe(false);
  });
});

describe('routeReport: the plan', () => {
  it('names the inserts, deletes and hold markers, counts the kept routes', () => {
    const r = report({
      plan: plan({
        inserts: [spec('ins-1'), spec('ins-2')],
        deletes: [{ ...spec('del-1'), safe: 'gone' }],
        keeps: ['k1', 'k2', 'k3'],
        holds: { inserts: [spec('hold-in')], deletes: [spec('hold-out')] },
      }),
    });
    expect(r.plan).toEqual({
      inserts: ['ins-1', 'ins-2'],
      deletes: ['del-1'],
      keeps: 3,
      holds: { inserts: ['hold-in'], deletes: ['hold-out'] },
    });
  });

  it('the earliest hold end is when to look again', () => {
    const pending = [
      { instance: path('a'), kind: 'join', at: 3_000 },
      { instance: path('b'), kind: 'unhealthy', at: 1_000 },
      { instance: path('c'), kind: 'join', at: 2_000 },
    ] as const;
    expect(report({ plan: plan({ pending: [...pending] }) }).nextLookAt).toBe(1_000);
  });

  it('a conflict, a name planned around and an untimed hold are warnings; the hold is blocked too, after the plan’s blocks', () => {
    const planBlock = { what: 'insert x', by: 'y', fix: 'z', permanent: false };
    const conflicts = [{ route: 'copy-1', reasons: ['next hop is not a NAT VM', 'not in the network'] }];
    const r = report({
      plan: plan({
        conflicts,
        plannedAround: [{ wanted: 'nr-a', heldBy: 'squatter', using: 'nr-a-1' }],
        untimedHolds: [
          { instance: path('nat-a'), kind: 'unhealthy', heldBy: 'sq-1, sq-2', names: ['h1', 'h2'] },
          { instance: path('nat-b'), kind: 'join', heldBy: 'sq-3', names: ['h3'] },
        ],
        blocked: [planBlock],
      }),
    });
    expect(r.warnings).toEqual([
      "route copy-1 carries netreflex's marker but is not netreflex's, so it is left unchanged: next hop is not a NAT VM; not in the network",
      'name nr-a is held by a route netreflex does not own, squatter; using nr-a-1',
      'the unhealthy hold of nat-a cannot be timed: every name netreflex derives for its marker is held by a route it ' +
        'does not own (sq-1, sq-2); it leaves at once, as with NETREFLEX_UNHEALTHY_HOLD_SECONDS=0; delete or rename ' +
        'one of h1, h2',
      'the join hold of nat-b cannot be timed: every name netreflex derives for its marker is held by a route it ' +
        'does not own (sq-3); it joins at once, as with NETREFLEX_JOIN_HOLD_SECONDS=0; delete or rename one of h3',
    ]);
    expect(r.conflicts).toEqual(conflicts);
    expect(r.blocked).toEqual([
      planBlock,
      {
        what: 'unhealthy hold of nat-a',
        by: 'every name of its marker is held by a route netreflex does not own: sq-1, sq-2',
        fix: 'delete or rename one of h1, h2',
        permanent: true,
      },
      {
        what: 'join hold of nat-b',
        by: 'every name of its marker is held by a route netreflex does not own: sq-3',
        fix: 'delete or rename one of h3',
        permanent: true,
      },
    ]);
    // Warnings and blocks alone do not degrade.
    expect(r.status).toBe('ok');
  });

  it('each reason the plan is degraded by, once', () => {
    const r = report({ plan: plan({ degraded: ['no eligible NAT VM', 'no eligible NAT VM', 'other'] }) });
    expect(r).toMatchObject({ status: 'degraded', reasons: ['no eligible NAT VM', 'other'], retry: false });
  });
});

describe('routeReport: the load balancer of ilb mode', () => {
  const FR = 'https://www.googleapis.com/compute/v1/projects/p/regions/r/forwardingRules/nat-ilb';

  it('its backends as its health check says, ok while one is healthy', () => {
    const r = report({
      observed: {
        instances: [],
        ilb: {
          forwardingRule: FR,
          backends: [
            { instance: url('a'), healthState: 'UNHEALTHY' },
            { instance: url('b'), healthState: 'HEALTHY' },
          ],
        },
      },
    });
    expect(r.loadBalancer).toStrictEqual({
      forwardingRule: FR,
      backends: [
        { instance: url('a'), healthState: 'UNHEALTHY' },
        { instance: url('b'), healthState: 'HEALTHY' },
      ],
    });
    expect(r.status).toBe('ok');
  });

  it('only the instance and health state of a backend are reported', () => {
    const backends = [{ instance: url('a'), healthState: 'HEALTHY', ipAddress: '10.0.0.2' }];
    const r = report({ observed: { instances: [], ilb: { forwardingRule: FR, backends } } });
    expect(r.loadBalancer?.backends).toStrictEqual([{ instance: url('a'), healthState: 'HEALTHY' }]);
  });

  it.each([
    ['every backend unhealthy', [{ instance: url('a'), healthState: 'UNHEALTHY' }]],
    ['no backend at all', []],
  ])('degraded naming the load balancer: %s', (_, backends) => {
    const r = report({ observed: { instances: [], ilb: { forwardingRule: FR, backends } } });
    expect(r.status).toBe('degraded');
    expect(r.reasons).toEqual([
      'the load balancer nat-ilb has no healthy backend: Google spreads new connections over all NAT VMs as a ' +
        'last resort; check the NAT VMs and their health check',
    ]);
  });
});

describe('routeReport: what the apply held back', () => {
  const held = (name: string, failed: { name: string; error?: string }[] = [], change = 'delete' as const) => ({
    step: { detail: { change, name, destRange: '10.1.0.0/16' } },
    failed: failed.map((f) => ({ detail: { change: 'insert' as const, name: f.name }, error: f.error })),
  });
  const FIX = 'it is deleted by the first sync that finds a route to an eligible NAT VM in place for that destination';

  it('a delete held by its failed replacements names each with its error; one held without a failure names its destination', () => {
    const r = report({
      applied: {
        held: [
          held('old-1', [
            { name: 'new-1', error: 'quota' },
            { name: 'new-2', error: 'denied' },
          ]),
          held('old-2'),
        ],
        stopped: { kind: 'failed' },
      },
    });
    expect(r.blocked).toEqual([
      { what: 'delete old-1', by: 'its replacement failed: new-1 (quota); new-2 (denied)', fix: FIX, permanent: false },
      {
        what: 'delete old-2',
        by: '10.1.0.0/16 would be left without a route to an eligible NAT VM',
        fix: FIX,
        permanent: false,
      },
    ]);
    expect(r).toMatchObject({ status: 'ok', settling: false, warnings: [] });
  });

  it('a delete held by an apply that ran to its end is blocked too', () => {
    expect(report({ applied: { held: [held('old-3')] } }).blocked.map((b) => b.what)).toEqual(['delete old-3']);
  });

  it('only deletes are reported held: inserts and hold markers held back are not', () => {
    const r = report({
      applied: {
        held: [
          { step: { detail: { change: 'insert', name: 'i' } }, failed: [] },
          { step: { detail: { change: 'hold-delete', name: 'h' } }, failed: [] },
          { step: { detail: { change: 'hold-insert', name: 'hi' } }, failed: [] },
        ],
      },
    });
    expect(r.blocked).toEqual([]);
  });

  it('a guard that re-planned holds nothing back: settling, and the next pass plans the deletes again', () => {
    const r = report({
      plan: plan({ conflicts: [{ route: 'c', reasons: ['x'] }] }),
      applied: { held: [held('old-1')], stopped: { kind: 'replan', why: 'the MIG changed' } },
    });
    expect(r.blocked).toEqual([]);
    expect(r.settling).toBe(true);
    expect(r.warnings).toEqual([
      "route c carries netreflex's marker but is not netreflex's, so it is left unchanged: x",
      'the MIG changed; the next pass plans the deletes again',
    ]);
    expect(r.status).toBe('ok');
  });

  it('a guard that stopped still reports the deletes it held, without the re-plan warning', () => {
    const r = report({ applied: { held: [held('old-1')], stopped: { kind: 'stop', why: 'lease lost' } } });
    expect(r.blocked.map((b) => b.what)).toEqual(['delete old-1']);
    expect(r).toMatchObject({ settling: false, warnings: [] });
  });
});

describe('routeReport: the changes tried', () => {
  it('every result as given; mutations count the calls that changed something', () => {
    const results = [
      result({ name: 'a' }),
      result({ name: 'b', noop: true }),
      result({ change: 'delete', name: 'c' }),
      result({ change: 'hold-insert', name: 'd', noop: false }),
    ];
    const r = report({ results });
    expect(r.results).toEqual(results);
    expect(r).toMatchObject({ mutations: 3, status: 'ok', retry: false, reasons: [], warnings: [] });
  });

  it('a name taken meanwhile is a warning and settles, not a failure', () => {
    const error =
      'route nr-1 was created meanwhile by someone else, with other content; the next pass uses another name';
    const r = report({ results: [result({ name: 'nr-1', ok: false, nameTaken: true, error })] });
    expect(r).toMatchObject({ status: 'ok', settling: true, warnings: [error], reasons: [], retry: false });
  });

  it('a refused change degrades with its cause, each once', () => {
    const refused = result({ change: 'delete', name: 'r-1', ok: false, transient: false, error: '403 denied' });
    const r = report({ results: [refused, refused] });
    expect(r).toMatchObject({
      status: 'degraded',
      retry: false,
      mutations: 0,
      settling: false,
      reasons: ['delete r-1 was refused: 403 denied; fix the cause (every sync tries again)'],
    });
  });

  it('a transient failure fails the pass so the event is delivered again, after the refusals', () => {
    const r = report({
      results: [
        result({ name: 'ok-1' }),
        result({ name: 'i-1', ok: false, transient: true, error: '503' }),
        result({ change: 'delete', name: 'd-1', ok: false, error: 'bad' }),
        result({ change: 'hold-delete', name: 'h-1', ok: false, transient: true, error: '429' }),
      ],
    });
    expect(r).toMatchObject({
      status: 'failed',
      retry: true,
      mutations: 1,
      settling: false,
      warnings: [],
      reasons: [
        'delete d-1 was refused: bad; fix the cause (every sync tries again)',
        '2 change(s) failed on transient errors (insert i-1: 503; hold-delete h-1: 429); the event is failed so it is ' +
          'delivered again',
      ],
    });
  });

  it('a transient failure whose name was taken is both a warning and a retry, never a refusal', () => {
    const r = report({ results: [result({ name: 'x', ok: false, transient: true, nameTaken: true, error: 'e' })] });
    expect(r).toMatchObject({
      status: 'failed',
      retry: true,
      settling: true,
      warnings: ['e'],
      reasons: ['1 change(s) failed on transient errors (insert x: e); the event is failed so it is delivered again'],
    });
  });
});

describe('routeReport: the export read back', () => {
  it('reported as read; turning export on is a mutation', () => {
    const exp = exported({ enabledNow: true });
    const r = report({ results: [result({})], verified: exp });
    expect(r.export).toBe(exp);
    expect(r).toMatchObject({ mutations: 2, status: 'ok' });
  });

  it('an export that was already on is no mutation', () => {
    expect(report({ results: [result({})], verified: exported() })).toMatchObject({ mutations: 1, status: 'ok' });
  });

  it('not verified: no export', () => {
    expect('export' in report()).toBe(false);
  });

  it('a destination the peer does not receive degrades a sync, not a dry run (its plan adds it)', () => {
    const verified = exported({ exported: [], missing: ['10.0.0.0/8'] });
    expect(report({ verified })).toMatchObject({
      status: 'degraded',
      reasons: ['the peer does not receive: 10.0.0.0/8'],
    });
    expect(report({ verified }, true)).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('an export problem adds to a failed pass without changing its status', () => {
    const r = report({
      results: [result({ name: 'i', ok: false, transient: true, error: '503' })],
      verified: exported({ state: 'INACTIVE' }),
    });
    expect(r.status).toBe('failed');
    expect(r.reasons).toEqual([
      '1 change(s) failed on transient errors (insert i: 503); the event is failed so it is delivered again',
      'peering psa is INACTIVE, not ACTIVE: an inactive peering carries no traffic',
    ]);
  });
});

describe('exportProblems', () => {
  const cfg = { peering: 'psa', exportMode: 'ensure' } as const;

  it('nothing wrong with an active peering that exports every destination', () => {
    expect(exportProblems(cfg, exported())).toEqual([]);
  });

  it('an inactive peering, before anything else', () => {
    expect(exportProblems(cfg, exported({ state: 'INACTIVE', exportCustomRoutes: false, missing: ['x'] }))).toEqual([
      'peering psa is INACTIVE, not ACTIVE: an inactive peering carries no traffic',
    ]);
  });

  it('no custom routes exported, with what to do in verify-only mode', () => {
    const exp = exported({ exportCustomRoutes: false, missing: ['x'] });
    expect(exportProblems(cfg, exp)).toEqual(['peering psa does not export custom routes']);
    expect(exportProblems({ ...cfg, exportMode: 'verify-only' }, exp)).toEqual([
      'peering psa does not export custom routes (verify-only mode: enable exportCustomRoutes on the peering)',
    ]);
  });

  it('every destination the peer does not receive, unless planned', () => {
    const exp = exported({ exported: [], missing: ['10.0.0.0/8', '172.16.0.0/12'] });
    expect(exportProblems(cfg, exp)).toEqual(['the peer does not receive: 10.0.0.0/8, 172.16.0.0/12']);
    expect(exportProblems(cfg, exp, false)).toEqual(['the peer does not receive: 10.0.0.0/8, 172.16.0.0/12']);
    expect(exportProblems(cfg, exp, true)).toEqual([]);
  });
});

describe('mergeReports', () => {
  it('the latest pass’s state, every change and mutation of both, passes counted, warnings once in order', () => {
    const earlier = report({ results: [result({ name: 'a' })] });
    earlier.warnings = ['w1', 'w2'];
    earlier.passes = 2;
    const next = report({ results: [result({ name: 'b' }), result({ name: 'c', noop: true })] }, false, {
      ...CFG,
      mode: 'ilb',
    });
    next.warnings = ['w2', 'w3'];
    next.settling = true;
    next.status = 'degraded';
    next.reasons = ['r'];
    const merged: RouteReport = mergeReports(earlier, next);
    expect(merged).toStrictEqual({
      ...next,
      results: [result({ name: 'a' }), result({ name: 'b' }), result({ name: 'c', noop: true })],
      mutations: 2,
      passes: 3,
      warnings: ['w1', 'w2', 'w3'],
    });
  });
});

describe('failedReport', () => {
  const empty = {
    instances: [],
    plan: { inserts: [], deletes: [], keeps: 0, holds: { inserts: [], deletes: [] } },
    conflicts: [],
    blocked: [],
    settling: false,
    passes: 1,
  };

  it('a transient error: failed, retried, the reason says the event is delivered again', () => {
    const r = failedReport({ mode: 'instance', dryRun: false }, new ApiError(503, 'UNAVAILABLE', 'backend error'));
    expect(r).toStrictEqual({
      status: 'failed',
      reasons: ['transient error, the event is delivered again: backend error'],
      warnings: [],
      dryRun: false,
      results: [],
      mutations: 0,
      retry: true,
      error: { message: 'backend error', transient: true, kind: 'transient' },
      mode: 'instance',
      ...empty,
    });
  });

  it('a configuration error: failed, not retried, its message the reason; mode and dry run kept', () => {
    const r = failedReport({ mode: 'ilb', dryRun: true }, new ConfigError('NETREFLEX_PEERING: no such peering'));
    expect(r).toStrictEqual({
      status: 'failed',
      reasons: ['NETREFLEX_PEERING: no such peering'],
      warnings: [],
      dryRun: true,
      results: [],
      mutations: 0,
      retry: false,
      error: { message: 'NETREFLEX_PEERING: no such peering', transient: false, kind: 'config' },
      mode: 'ilb',
      ...empty,
    });
  });
});
