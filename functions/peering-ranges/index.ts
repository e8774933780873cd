/**
 * peeringRanges: before a Vertex AI pipeline run, makes sure the Private Service Access ranges
 * hold the run's parallel jobs (with everything else on the network), are wired end to end
 * (connection, firewall, NAT return routes, route export), and that no job of the region runs on
 * another network. Called over HTTP by the orchestration workflow (OIDC is enforced by Cloud Run,
 * not here); JSON in, JSON out — see `sample-request.json` beside this file. `"dryRun": true` (or
 * `?dryRun=true`) plans only; `{"release": true, "runId": …}` drops the reservation a prepared run
 * left, when the workflow fails before that run's PipelineJob exists (shared/peering-ranges/release.ts).
 *
 * Strict at the door: a body over 64 KiB is a 413 that never echoes it; a body that is not a JSON
 * object, a `dryRun` or `release` that is not a boolean, an unknown field or a name outside
 * Google's patterns is a 400 saying what to send (the names go into API paths, so nothing else
 * gets that far).
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { PeeringRangesService } from '../../shared/peering-ranges/service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

/** Far above any real request (a few hundred bytes), far below what would hurt a log or a reply. */
export const MAX_BODY_BYTES = 64 * 1024;

const service = lazyService('peeringRanges', (env) => {
  const cfg = loadPeeringRangesConfig(env);
  return new PeeringRangesService(cfg, createLogger(cfg.logLevel));
});

const refuse = (res: Response, code: number, message: string) =>
  res.status(code).json({ error: { code, reason: 'invalid-request', message } });

function bodySize(req: Request): number {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  return raw ? raw.length : Number(req.headers['content-length'] ?? 0);
}

/** `?dryRun=` as a boolean: only `true` or `false`. */
function queryDryRun(value: unknown): boolean | 'bad' {
  if (value === undefined) return false;
  return value === 'true' ? true : value === 'false' ? false : 'bad';
}

export async function peeringRanges(req: Request, res: Response): Promise<void> {
  if (req.method !== 'POST') {
    res.set('allow', 'POST');
    refuse(res, 405, 'use POST with a JSON body such as {"parallelJobs": 4, "nodesPerJob": 8}');
    return;
  }
  const size = bodySize(req);
  if (size > MAX_BODY_BYTES) {
    refuse(
      res,
      413,
      `the body is ${size} bytes; a request is at most ${MAX_BODY_BYTES} bytes, such as {"parallelJobs": 4, "nodesPerJob": 8}`,
    );
    return;
  }
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    refuse(
      res,
      400,
      'the body must be a JSON object such as {"parallelJobs": 4, "nodesPerJob": 8} (Content-Type: application/json)',
    );
    return;
  }
  const { dryRun, release, ...input } = body as Record<string, unknown>;
  const fromQuery = queryDryRun(req.query.dryRun);
  if ((dryRun !== undefined && typeof dryRun !== 'boolean') || fromQuery === 'bad') {
    refuse(res, 400, 'dryRun must be a boolean: "dryRun": true or false in the body (or ?dryRun=true / false)');
    return;
  }
  if (release !== undefined && typeof release !== 'boolean') {
    refuse(
      res,
      400,
      'release must be a boolean: {"release": true, "runId": "<run id>"} drops a prepared run\'s reservation',
    );
    return;
  }
  if (release === true && (dryRun === true || fromQuery === true)) {
    refuse(
      res,
      400,
      'release and dryRun do not go together: a release only drops a reservation; send one or the other',
    );
    return;
  }
  const answer =
    release === true
      ? await service().release(input)
      : await service().handle(input, dryRun === true || fromQuery === true);
  res.status(answer.status).json(answer.body);
}

http('peeringRanges', peeringRanges);
