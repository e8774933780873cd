/**
 * armorAllowlistVerify: the egress check of the `vertex-pipeline-run` workflow over HTTP. POST
 * `{"policy": "inference-policy", "ips": ["203.0.113.5"]}`; the answer says, for each IP, the rule
 * of the Cloud Armor policy that decides and whether it allows — judged by the allowlist
 * reconciler's own verdict (shared/armor-allowlist/egress-check.ts), so the workflow, `netreflex
 * status` and armorAllowlist's verify agree. Reads only; the status code is the kernel's table
 * (shared/reconcile/report.ts): 200 every IP allowed; 422 an IP denied or not judgeable (a CEL rule
 * ahead of the allow rules), or the policy missing; 400 a bad request; 503 a transient failure.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadArmorAllowlistVerifyConfig } from '../../shared/config/armor-allowlist.js';
import { checkEgress, parseEgressRequest, type EgressReport } from '../../shared/armor-allowlist/egress-check.js';
import { functionTransport } from '../../shared/gcp/transport.js';
import { failureOf, httpStatus, severityOf } from '../../shared/reconcile/report.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('armorAllowlistVerify', (env) => {
  const cfg = loadArmorAllowlistVerifyConfig(env);
  const log = createLogger(cfg.logLevel);
  return { cfg, log, transport: functionTransport(cfg, log, 'armorAllowlistVerify') };
});

function refused(err: unknown): Omit<EgressReport, 'policy'> {
  const error = failureOf(err, 'invalid-request');
  return {
    status: 'refused',
    reasons: [error.message],
    warnings: [],
    dryRun: true,
    results: [],
    mutations: 0,
    retry: false,
    error,
    allowedBy: {},
  };
}

export async function armorAllowlistVerify(req: Request, res: Response): Promise<void> {
  const { cfg, log, transport } = service();
  if (req.method !== 'POST') {
    res.set('allow', 'POST');
    res.status(405).json({
      status: 'refused',
      reasons: [
        'armorAllowlistVerify: use POST with {"policy": "<security policy>", "ips": ["<egress IP>"]} (the workflow calls it with http.post)',
      ],
    });
    return;
  }
  let request;
  try {
    request = parseEgressRequest(req.body);
  } catch (err) {
    const answer = refused(err);
    log.warn({ reasons: answer.reasons }, 'armorAllowlistVerify: request refused');
    res.status(httpStatus(answer)).json(answer);
    return;
  }
  const report = await checkEgress(transport, cfg.project, request);
  log[severityOf(report)](
    { policy: report.policy, status: report.status, reasons: report.reasons, allowedBy: report.allowedBy },
    `armorAllowlistVerify: ${report.policy} ${report.status === 'ok' ? `allows ${request.ips.join(', ')}` : report.reasons.join('; ')}`,
  );
  res.status(httpStatus(report)).json(report);
}

http('armorAllowlistVerify', armorAllowlistVerify);
