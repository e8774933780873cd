/**
 * armorAllowlistVerify: the egress check of the `vertex-pipeline-run` workflow over HTTP. POST
 * `{"policy": "inference-policy", "ips": ["203.0.113.5"]}`; the answer says, for each IP, the rule
 * of the Cloud Armor policy that decides and whether it allows — judged by the allowlist
 * reconciler's own verdict (shared/plan/armor-verdict.ts, through the egress check in
 * shared/status/egress-check.ts), so the workflow, `netreflex status` and armorAllowlist's verify agree. Reads only; behind the one HTTP door
 * (functions/http.ts): 200 every IP allowed; 422 an IP denied or not judgeable (a CEL rule ahead
 * of the allow rules), or the policy missing; 400 a bad request; 503 a transient failure.
 */
import { http } from '@google-cloud/functions-framework';
import { loadArmorAllowlistVerifyConfig } from '../../shared/config/armor-allowlist.js';
import { checkEgress, parseEgressRequest } from '../../shared/status/egress-check.js';
import { functionTransport } from '../../shared/gcp/transport.js';
import { severityOf } from '../../shared/reconcile/report.js';
import { createLogger } from '../../shared/log.js';
import { door } from '../http.js';
import { lazyService } from '../runtime.js';

const service = lazyService('armorAllowlistVerify', (env) => {
  const cfg = loadArmorAllowlistVerifyConfig(env);
  const log = createLogger(cfg.logLevel);
  return { cfg, log, transport: functionTransport(cfg, log, 'armorAllowlistVerify') };
});

export const armorAllowlistVerify = door(
  {
    name: 'armorAllowlistVerify',
    example: '{"policy": "<security policy>", "ips": ["<egress IP>"]}',
    log: () => service().log,
    configErrors: 'invalid-request',
  },
  async (body) => {
    const { cfg, log, transport } = service();
    const request = parseEgressRequest(body);
    const report = await checkEgress(transport, cfg.project, request);
    log[severityOf(report)](
      { policy: report.policy, status: report.status, reasons: report.reasons, allowedBy: report.allowedBy },
      `armorAllowlistVerify: ${report.policy} ${report.status === 'ok' ? `allows ${request.ips.join(', ')}` : report.reasons.join('; ')}`,
    );
    return report;
  },
);

http('armorAllowlistVerify', armorAllowlistVerify);
