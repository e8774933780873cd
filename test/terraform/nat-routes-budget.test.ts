/**
 * The deployed natRoutes and natRoutesSync answer every event within their Cloud Functions timeout:
 * NETREFLEX_SETTLE_TIMEOUT_SECONDS (the per-event budget the reconcile coalescer enforces, settling and
 * coalescing together) plus ANSWER_MARGIN_SECONDS fits in `timeout`, and a settle poll fits in the
 * budget — read from terraform-bootstrap/functions.tf as deployed: the timeout is the function's
 * `service_config.timeout_seconds` (wired to `each.value.timeout` of `local.functions`), so a timeout
 * the resource does not take from the map is judged as what it deploys.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneModule, isObject, loadModule, type TfModule } from '../../local/terraform/reader.js';
import { deployedFunctions } from './checks.js';
import { TF_DIR } from './policy.js';
import { ANSWER_MARGIN_SECONDS } from '../../shared/reconcile/coalesce.js';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';

let tf: TfModule;
beforeAll(async () => {
  tf = await loadModule(TF_DIR);
});

/** Problems with each route function's budget against its timeout, as deployed by `m`. */
function budgetProblems(m: TfModule): string[] {
  const problems: string[] = [];
  for (const d of deployedFunctions(m).filter(
    (f) => f.entryPoint === 'natRoutes' || f.entryPoint === 'natRoutesSync',
  )) {
    const timeout = typeof d.timeout === 'number' ? d.timeout : Number.NaN;
    if (!Number.isFinite(timeout)) {
      problems.push(
        `${d.entryPoint}: service_config.timeout_seconds is ${JSON.stringify(d.timeout)}, not a number of seconds (wire it to each.value.timeout)`,
      );
      continue;
    }
    const env = isObject(d.env) ? d.env : {};
    const cfg = loadNatRoutesConfig({
      NETREFLEX_PROJECT: 'netreflex-demo',
      NETREFLEX_PROJECT_NUMBER: '123456789012',
      NETREFLEX_DESTINATIONS: '198.51.100.10/32',
      NETREFLEX_SETTLE_TIMEOUT_SECONDS: String(env.NETREFLEX_SETTLE_TIMEOUT_SECONDS),
      NETREFLEX_SETTLE_POLL_MS: String(env.NETREFLEX_SETTLE_POLL_MS),
    });
    if (cfg.settleTimeoutMs / 1000 + ANSWER_MARGIN_SECONDS > timeout)
      problems.push(
        `${d.entryPoint}: budget ${cfg.settleTimeoutMs / 1000} s + margin ${ANSWER_MARGIN_SECONDS} s exceeds the ${timeout} s timeout`,
      );
    if (cfg.settlePollMs >= cfg.settleTimeoutMs)
      problems.push(
        `${d.entryPoint}: settle poll ${cfg.settlePollMs} ms does not fit in the ${cfg.settleTimeoutMs} ms budget`,
      );
  }
  return problems;
}

describe('natRoutes time budget as deployed', () => {
  it('budget + margin fits in the function timeout, for both route functions', () => {
    expect(
      deployedFunctions(tf)
        .filter((f) => f.entryPoint.startsWith('natRoutes'))
        .map((f) => f.entryPoint)
        .sort(),
    ).toEqual(['natRoutes', 'natRoutesSync']);
    expect(budgetProblems(tf)).toEqual([]);
  });

  it('catches a planted mistake: a budget raised to the timeout', () => {
    const m = cloneModule(tf);
    const block = (
      m.files.find((f) => f.name === 'functions.tf')!.json.locals as {
        functions?: Record<string, { env: Record<string, string> }>;
      }[]
    ).find((l) => l.functions)!;
    block.functions!.natRoutes!.env.NETREFLEX_SETTLE_TIMEOUT_SECONDS = '290';
    expect(budgetProblems(m)).toEqual(['natRoutes: budget 290 s + margin 30 s exceeds the 300 s timeout']);
  });

  /** The service_config of the functions resource in a copy of the module, to plant a wiring mistake in. */
  function serviceConfig(m: TfModule): Record<string, unknown> {
    const resource = m.files.find((f) => f.name === 'functions.tf')!.json.resource as Record<
      string,
      Record<string, { service_config: Record<string, unknown>[] }[]>
    >;
    return resource.google_cloudfunctions2_function!.default![0]!.service_config[0]!;
  }

  it('reads the timeout through the wiring: each.value.timeout, as deployed', () => {
    expect(serviceConfig(cloneModule(tf)).timeout_seconds).toBe('${each.value.timeout}');
  });

  it('catches a planted mistake: timeout_seconds not taken from the map (a fixed 60 s, or another field)', () => {
    const fixed = cloneModule(tf);
    serviceConfig(fixed).timeout_seconds = 60;
    expect(budgetProblems(fixed)).toEqual([
      expect.stringMatching(/^natRoutes: budget \d+ s \+ margin 30 s exceeds the 60 s timeout$/),
      expect.stringMatching(/^natRoutesSync: budget \d+ s \+ margin 30 s exceeds the 60 s timeout$/),
    ]);
    const wrong = cloneModule(tf);
    serviceConfig(wrong).timeout_seconds = '${each.value.memory}';
    expect(budgetProblems(wrong)).toEqual([
      expect.stringMatching(/^natRoutes: service_config.timeout_seconds is "\d+[MG]i?", not a number of seconds/),
      expect.stringMatching(/^natRoutesSync: service_config.timeout_seconds is "\d+[MG]i?", not a number/),
    ]);
  });
});
