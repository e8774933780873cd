/**
 * netreflex's Cloud Functions entry points: the `main` module every deployed function loads.
 *
 * All functions deploy the same source, so this module must not import them all: natRoutes would
 * pay at cold start for the allowlist parser, the Workflows client and the range planner
 * (`npm run bench` measures it). The function this process serves — Cloud Run functions and
 * `netreflex up` name it in FUNCTION_TARGET — is imported before the Functions Framework looks it
 * up, so it registers itself and validates its configuration at start-up; the others load only if
 * called through the exports below.
 */
import type { CloudEvent, Request, Response } from '@google-cloud/functions-framework';

const MODULES = {
  natRoutes: () => import('./nat-routes/index.js'),
  natRoutesSync: () => import('./nat-routes/http.js'),
  armorAllowlist: () => import('./armor-allowlist/index.js'),
  armorAllowlistVerify: () => import('./armor-allowlist/verify.js'),
  peeringRanges: () => import('./peering-ranges/index.js'),
  pipelineRequests: () => import('./pipeline-requests/index.js'),
} as const;

type Target = keyof typeof MODULES;
const isTarget = (name: string | undefined): name is Target => name !== undefined && Object.hasOwn(MODULES, name);

const served = process.env.FUNCTION_TARGET;
if (isTarget(served)) await MODULES[served]();

export async function natRoutes(event: CloudEvent<unknown>): Promise<void> {
  return (await MODULES.natRoutes()).natRoutes(event);
}

export async function natRoutesSync(req: Request, res: Response): Promise<void> {
  return (await MODULES.natRoutesSync()).natRoutesSync(req, res);
}

export async function armorAllowlist(event: CloudEvent<unknown>): Promise<void> {
  return (await MODULES.armorAllowlist()).armorAllowlist(event);
}

export async function armorAllowlistVerify(req: Request, res: Response): Promise<void> {
  return (await MODULES.armorAllowlistVerify()).armorAllowlistVerify(req, res);
}

export async function peeringRanges(req: Request, res: Response): Promise<void> {
  return (await MODULES.peeringRanges()).peeringRanges(req, res);
}

export async function pipelineRequests(event: CloudEvent<unknown>): Promise<void> {
  return (await MODULES.pipelineRequests()).pipelineRequests(event);
}
