/**
 * Compute Engine resource names as they appear on the wire. A reference comes back as a full URL
 * (`https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i`), is accepted as a
 * partial one (`projects/p/zones/z/instances/i`), and the beta surface spells it with `beta/`; the
 * resource path is what all of them name. Pure and import-free: the planners compare references
 * with it too (the one module of shared/gcp/ a planner may import at runtime; eslint.config.js).
 */

/** Resource path of a Compute URL, so full and partial URLs compare equal. */
export const resourcePath = (url: string) =>
  url.replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '').replace(/^\//, '');
