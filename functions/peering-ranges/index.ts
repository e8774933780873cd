/**
 * peeringRanges: before a Vertex AI pipeline run, makes sure the Private Service Access ranges
 * hold the run's parallel jobs, are wired end to end (connection, firewall, NAT return routes,
 * route export), and that no job of the region runs on another network. Called over HTTP by the
 * orchestration workflow (OIDC is enforced by Cloud Run, not here); JSON in, JSON out — see
 * `sample-request.json` beside this file. `?dryRun=true` (or `"dryRun": true`) plans only.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { PeeringRangesService } from '../../shared/ranges/service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('peeringRanges', (env) => {
  const cfg = loadPeeringRangesConfig(env);
  return new PeeringRangesService(cfg, createLogger(cfg.logLevel));
});

export async function peeringRanges(req: Request, res: Response): Promise<void> {
  if (req.method !== 'POST') {
    res.status(405).set('allow', 'POST').json({ error: { code: 405, reason: 'invalid-request', message: 'use POST with a JSON body such as {"parallelJobs": 4, "nodesPerJob": 8}' } });
    return;
  }
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    res.status(400).json({ error: { code: 400, reason: 'invalid-request', message: 'the body must be a JSON object such as {"parallelJobs": 4, "nodesPerJob": 8} (Content-Type: application/json)' } });
    return;
  }
  const { dryRun, ...input } = body as Record<string, unknown>;
  const answer = await service().handle(input, dryRun === true || req.query.dryRun === 'true');
  res.status(answer.status).json(answer.body);
}

http('peeringRanges', peeringRanges);
