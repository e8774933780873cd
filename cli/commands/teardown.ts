/**
 * `netreflex teardown`: removes what netreflex's functions created outside Terraform — natRoutes'
 * routes and peeringRanges' Private Service Access ranges — so `terraform destroy` can delete the
 * network. Without `--yes` it only shows what it would remove. terraform-bootstrap runs it on
 * destroy (terraform_data.teardown), after the functions are gone and before the network goes.
 *
 * Exit codes: 0 nothing left (or, without --yes, nothing to remove), 1 a step failed or something
 * is still there, 2 bad configuration, 4 dry run with something to remove.
 */
import { Transport } from '../../shared/gcp/transport.js';
import { teardown, type TeardownReport } from '../../shared/teardown/apply.js';
import { loadTeardownConfig } from '../../shared/teardown/config.js';
import { isEmptyTeardown, type TeardownPlan } from '../../shared/teardown/plan.js';

export interface TeardownOptions {
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

function describePlan(plan: TeardownPlan): string[] {
  return [
    ...plan.routes.map((r) => `  route ${r} (natRoutes)`),
    ...(plan.connectionRanges
      ? [`  connection: drop ${plan.released.join(', ')}; keep ${plan.connectionRanges.join(', ') || 'nothing'}`]
      : []),
    ...plan.addresses.map((a) => `  range ${a} (peeringRanges)`),
  ];
}

function render(report: TeardownReport, network: string): string {
  const lines: string[] = [];
  if (isEmptyTeardown(report.plan)) lines.push(`netreflex teardown: nothing netreflex created is left on ${network}`);
  else
    lines.push(
      `netreflex teardown: ${report.applied ? 'removed' : 'would remove (run with --yes)'} on ${network}:`,
      ...describePlan(report.plan),
    );
  for (const s of report.steps.filter((x) => !x.ok)) lines.push(`  FAILED ${s.what}: ${s.error}`);
  if (report.remaining && !isEmptyTeardown(report.remaining))
    lines.push('still there:', ...describePlan(report.remaining));
  if (report.plan.foreign.length) lines.push(`left alone (not netreflex's): ${report.plan.foreign.join(', ')}`);
  return lines.join('\n');
}

export async function teardownCommand(
  env: Record<string, string | undefined>,
  opts: TeardownOptions = {},
): Promise<{ exitCode: number; output: string }> {
  const cfg = loadTeardownConfig(env);
  const transport = new Transport({ emulatorHost: cfg.emulatorHost, region: cfg.region });
  const report = await teardown(transport, cfg, { apply: opts.yes === true, force: opts.force === true });
  const failed =
    report.steps.some((s) => !s.ok) || (report.remaining !== undefined && !isEmptyTeardown(report.remaining));
  const exitCode = failed ? 1 : !report.applied && !isEmptyTeardown(report.plan) ? 4 : 0;
  return {
    exitCode,
    output: opts.json ? JSON.stringify({ ...report, exitCode }, null, 2) : render(report, cfg.network),
  };
}
