/**
 * The deployed natRoutes and natRoutesSync answer every event within their Cloud Functions timeout:
 * NETREFLEX_SETTLE_TIMEOUT_SECONDS (the per-event budget the reconcile coalescer enforces, settling and
 * coalescing together) plus ANSWER_MARGIN_SECONDS fits in `timeout`, and a settle poll fits in the
 * budget — read from terraform-bootstrap/functions.tf as deployed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneModule, isObject, loadModule, locals, type TfModule } from '../../local/terraform/reader.js';
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
  const fns = locals(m).get('functions')?.value;
  const problems: string[] = [];
  for (const d of deployedFunctions(m).filter(
    (f) => f.entryPoint === 'natRoutes' || f.entryPoint === 'natRoutesSync',
  )) {
    const spec = isObject(fns) ? fns[d.entryPoint] : undefined;
    const timeout = isObject(spec) ? Number(spec.timeout) : NaN;
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
});
