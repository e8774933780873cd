/**
 * Google's answers to a caller IAM refuses, per API (each as Google's clients and tools print it):
 * - Compute Engine: 403 `Required 'compute.routes.get' permission for 'projects/p/global/routes/r'`,
 *   reason `forbidden` (googleapi errors, e.g. "Error 403: Required 'compute.networks.addPeering'
 *   permission for 'projects/…/global/networks/…', forbidden").
 * - Cloud Storage: 403 `<who> does not have storage.objects.get access to the Google Cloud Storage
 *   object. Permission 'storage.objects.get' denied on resource (or it may not exist).`, reason
 *   `forbidden`.
 * - Pub/Sub: PERMISSION_DENIED `User not authorized to perform this action.` (Pub/Sub names no
 *   permission; https://cloud.google.com/pubsub/docs/reference/error-codes).
 * - Vertex AI, Workflows, Service Networking (one-platform APIs): PERMISSION_DENIED `Permission
 *   'aiplatform.tensorboards.create' denied on resource '//aiplatform.googleapis.com/projects/p/
 *   locations/l' (or it may not exist).` with a google.rpc.ErrorInfo detail: reason
 *   IAM_PERMISSION_DENIED, domain the service, metadata {permission, resource}.
 * - Vertex AI asked to run a job as a service account the caller may not act as: 400
 *   INVALID_ARGUMENT `You do not have permission to act as service_account: <email>. (or it may not
 *   exist).` (what Vertex answers, googleapis/python-aiplatform#1073).
 * - An unknown or expired token: 401 UNAUTHENTICATED "Request had invalid authentication
 *   credentials. …", reason `authError` on the Authorization header.
 */
import { HttpError } from '../errors.js';

export class GoogleError extends HttpError {
  constructor(
    code: number,
    message: string,
    reason: string,
    private readonly details?: unknown[],
    private readonly extra: Record<string, string> = {},
  ) {
    super(code, message, reason);
  }

  override toJSON() {
    const base = super.toJSON();
    return {
      error: {
        ...base.error,
        errors: base.error.errors.map((e) => ({ ...e, ...this.extra })),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

const SERVICE_DOMAIN: Record<string, string> = {
  aiplatform: 'aiplatform.googleapis.com',
  workflowexecutions: 'workflowexecutions.googleapis.com',
  workflows: 'workflows.googleapis.com',
  servicenetworking: 'servicenetworking.googleapis.com',
  iamcredentials: 'iamcredentials.googleapis.com',
};

/** 403 as `methodId`'s API answers a caller without `permission` on `resource`. */
export function permissionDenied(methodId: string, permission: string, resource: string, who: string): HttpError {
  const api = methodId.split('.')[0] ?? '';
  if (api === 'compute')
    return new HttpError(403, `Required '${permission}' permission for '${resource}'`, 'forbidden');
  if (api === 'storage') {
    const kind = /\/objects\//.test(resource) ? 'object' : 'bucket';
    return new HttpError(
      403,
      `${who} does not have ${permission} access to the Google Cloud Storage ${kind}. Permission '${permission}' denied on resource (or it may not exist).`,
      'forbidden',
    );
  }
  if (api === 'pubsub') return new HttpError(403, 'User not authorized to perform this action.', 'forbidden');
  if (api === 'aiplatform' && permission === 'iam.serviceAccounts.actAs')
    return new HttpError(
      400,
      `You do not have permission to act as service_account: ${resource.replace(/^.*\/serviceAccounts\//, '')}. (or it may not exist).`,
      'badRequest',
    );
  const domain = SERVICE_DOMAIN[api] ?? `${api}.googleapis.com`;
  return new GoogleError(
    403,
    `Permission '${permission}' denied on resource '//${domain}/${resource}' (or it may not exist).`,
    'forbidden',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain,
        metadata: { permission, resource },
      },
    ],
  );
}

export function unauthenticated(): HttpError {
  return new GoogleError(
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    'authError',
    undefined,
    { location: 'Authorization', locationType: 'header' },
  );
}
