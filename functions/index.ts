/** netreflex's Cloud Functions entry points (the `main` module deployed for each function). */
export { natRoutes } from './nat-routes/index.js';
export { peeringRanges } from './peering-ranges/index.js';
export { natRoutesSync } from './nat-routes/http.js';
export { armorAllowlist } from './armor-allowlist/index.js';
export { pipelineRequests } from './pipeline-requests/index.js';
