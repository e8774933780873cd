/**
 * peeringRanges: before a Vertex AI pipeline run, makes sure the Private Service Access ranges
 * hold the run's parallel jobs (with everything else on the network), are wired end to end
 * (connection, firewall, NAT return routes, route export), and that no job of the region runs on
 * another network. Called over HTTP by the orchestration workflow (OIDC is enforced by Cloud Run,
 * not here); JSON in, JSON out — see `sample-request.json` beside this file. `"dryRun": true` (or
 * `?dryRun=true`) plans only; `{"release": true, "runId": …}` drops the reservation a prepared run
 * left, when the workflow fails before that run's PipelineJob exists (shared/peering-ranges/release.ts).
 *
 * Strict at the door (functions/http.ts: POST, 64 KiB, a JSON object); then a `dryRun` or
 * `release` that is not a boolean, an unknown field or a name outside Google's patterns is a 400
 * saying what to send (the names go into API paths, so nothing else gets that far). A 409 (another
 * network busy in the region) carries the preflight report that names the jobs; a 503 for a pool
 * short only because of the other runs on the network carries `waitingFor`, naming them (the
 * workflow waits for them, longer than for a transient error).
 */
import { http } from '@google-cloud/functions-framework';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { PeeringRangesService } from '../../shared/peering-ranges/service.js';
import { PreflightRefusal } from '../../shared/plan/ranges-preflight.js';
import { PoolBusy } from '../../shared/plan/ranges.js';
import { ConfigError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { door } from '../http.js';
import { lazyService } from '../runtime.js';

const service = lazyService('peeringRanges', (env) => {
  const cfg = loadPeeringRangesConfig(env);
  return new PeeringRangesService(cfg, createLogger(cfg.logLevel));
});

type Mode = 'prepare' | 'dry-run' | 'release';

/** What the request asks for: `dryRun` (body or `?dryRun=`) and `release` are booleans, and exclusive. */
function modeOf(dryRun: unknown, release: unknown, query: unknown): Mode {
  const fromQuery = query === undefined ? false : query === 'true' ? true : query === 'false' ? false : 'bad';
  if ((dryRun !== undefined && typeof dryRun !== 'boolean') || fromQuery === 'bad')
    throw new ConfigError('dryRun must be a boolean: "dryRun": true or false in the body (or ?dryRun=true / false)');
  if (release !== undefined && typeof release !== 'boolean')
    throw new ConfigError(
      'release must be a boolean: {"release": true, "runId": "<run id>"} drops a prepared run\'s reservation',
    );
  const dry = dryRun === true || fromQuery === true;
  if (release === true && dry)
    throw new ConfigError(
      'release and dryRun do not go together: a release only drops a reservation; send one or the other',
    );
  return release === true ? 'release' : dry ? 'dry-run' : 'prepare';
}

export const peeringRanges = door(
  {
    name: 'peeringRanges',
    example: '{"parallelJobs": 4, "nodesPerJob": 8}',
    log: () => service().log,
    configErrors: 'invalid-request',
    factsOf: (err) =>
      err instanceof PreflightRefusal
        ? { preflight: err.report }
        : err instanceof PoolBusy
          ? { waitingFor: err.waitingFor }
          : undefined,
  },
  async (body, req) => {
    const { dryRun, release, ...input } = body;
    const mode = modeOf(dryRun, release, req.query.dryRun);
    return mode === 'release' ? service().release(input) : service().prepare(input, mode === 'dry-run');
  },
);

http('peeringRanges', peeringRanges);
