/**
 * Workflows connectors (`call: googleapis.<service>.<version>.<resource path>.<method>`) as REST
 * calls: method, path template and how the connector waits. A connector's args name the path
 * parameters (`project`, `securityPolicy`, `parent`, `name` …), `body` is the request body, and
 * every other arg except `connector_params` is a query parameter — the way Google documents
 * each connector. The paths are Google's own, so the same table points at the local Google Cloud
 * and explains what a deployed connector would send.
 *
 * `{name}`, `{parent}` and `{topic}` in a template take a value with slashes as is
 * (`projects/p/locations/l/…`), like the APIs' `{name=projects/*\/…}` bindings.
 */

/** How a connector waits after the call: Compute Operation, google.longrunning.Operation, or not. */
export type Wait = 'none' | 'compute' | 'lro';

export interface ConnectorSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  wait: Wait;
  /** Args that pick the endpoint, not the request (aiplatform's `region` → `{region}-aiplatform.googleapis.com`). */
  endpointArgs?: readonly string[];
}

const COMPUTE = '/compute/v1/projects/{project}';
const AIPLATFORM = '/v1';

const compute = (
  method: ConnectorSpec['method'],
  path: string,
  wait: Wait = method === 'GET' ? 'none' : 'compute',
): ConnectorSpec => ({ method, path: `${COMPUTE}${path}`, wait });
const vertex = (method: ConnectorSpec['method'], path: string, wait: Wait = 'none'): ConnectorSpec => ({
  method,
  path: `${AIPLATFORM}${path}`,
  wait,
  endpointArgs: ['region'],
});
const workflows = (method: ConnectorSpec['method'], path: string): ConnectorSpec => ({
  method,
  path: `/v1${path}`,
  wait: 'none',
});
/** Pub/Sub: `topic` is the full `projects/{p}/topics/{t}` name (https://cloud.google.com/workflows/docs/reference/googleapis/pubsub/v1/projects.topics/publish). */
const pubsub = (method: ConnectorSpec['method'], path: string): ConnectorSpec => ({
  method,
  path: `/v1${path}`,
  wait: 'none',
});

/**
 * Cloud Storage JSON API: the caller URL-encodes `object` (text.url_encode), and the connector puts it
 * in the path as given: "If you don't url-encode your object name and your storage bucket has
 * folders, the request will fail" (https://cloud.google.com/workflows/docs/reference/googleapis/storage/Overview).
 * `alt: media` answers the object's data (https://cloud.google.com/workflows/docs/reference/googleapis/storage/v1/objects/get).
 */
const storage = (method: ConnectorSpec['method'], path: string): ConnectorSpec => ({
  method,
  path: `/storage/v1${path}`,
  wait: 'none',
});

export const CONNECTORS: Readonly<Record<string, ConnectorSpec>> = {
  'googleapis.compute.v1.securityPolicies.get': compute('GET', '/global/securityPolicies/{securityPolicy}'),
  'googleapis.compute.v1.securityPolicies.list': compute('GET', '/global/securityPolicies'),
  'googleapis.compute.v1.securityPolicies.getRule': compute('GET', '/global/securityPolicies/{securityPolicy}/getRule'),
  'googleapis.compute.v1.securityPolicies.addRule': compute(
    'POST',
    '/global/securityPolicies/{securityPolicy}/addRule',
  ),
  'googleapis.compute.v1.securityPolicies.patchRule': compute(
    'POST',
    '/global/securityPolicies/{securityPolicy}/patchRule',
  ),
  'googleapis.compute.v1.securityPolicies.removeRule': compute(
    'POST',
    '/global/securityPolicies/{securityPolicy}/removeRule',
  ),
  'googleapis.compute.v1.routers.get': compute('GET', '/regions/{region}/routers/{router}'),
  'googleapis.compute.v1.routers.getRouterStatus': compute('GET', '/regions/{region}/routers/{router}/getRouterStatus'),
  'googleapis.compute.v1.routes.list': compute('GET', '/global/routes'),
  'googleapis.compute.v1.routes.get': compute('GET', '/global/routes/{route}'),
  'googleapis.compute.v1.routes.insert': compute('POST', '/global/routes'),
  'googleapis.compute.v1.routes.delete': compute('DELETE', '/global/routes/{route}'),
  'googleapis.compute.v1.networks.get': compute('GET', '/global/networks/{network}'),
  'googleapis.compute.v1.networks.listPeeringRoutes': compute('GET', '/global/networks/{network}/listPeeringRoutes'),
  'googleapis.compute.v1.networks.updatePeering': compute('PATCH', '/global/networks/{network}/updatePeering'),
  'googleapis.compute.v1.globalAddresses.list': compute('GET', '/global/addresses'),
  'googleapis.compute.v1.globalAddresses.get': compute('GET', '/global/addresses/{address}'),
  'googleapis.compute.v1.addresses.get': compute('GET', '/regions/{region}/addresses/{address}'),
  'googleapis.compute.v1.instances.get': compute('GET', '/zones/{zone}/instances/{instance}'),
  'googleapis.compute.v1.instances.stop': compute('POST', '/zones/{zone}/instances/{instance}/stop'),
  'googleapis.compute.v1.instances.start': compute('POST', '/zones/{zone}/instances/{instance}/start'),
  'googleapis.compute.v1.regionInstanceGroupManagers.get': compute(
    'GET',
    '/regions/{region}/instanceGroupManagers/{instanceGroupManager}',
  ),
  'googleapis.compute.v1.regionInstanceGroupManagers.listManagedInstances': compute(
    'POST',
    '/regions/{region}/instanceGroupManagers/{instanceGroupManager}/listManagedInstances',
    'none',
  ),
  'googleapis.compute.v1.regionInstanceGroupManagers.recreateInstances': compute(
    'POST',
    '/regions/{region}/instanceGroupManagers/{instanceGroupManager}/recreateInstances',
  ),
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.create': vertex('POST', '/{parent}/pipelineJobs'),
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.get': vertex('GET', '/{name}'),
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.list': vertex('GET', '/{parent}/pipelineJobs'),
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.cancel': vertex('POST', '/{name}:cancel'),
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.delete': vertex('DELETE', '/{name}', 'lro'),
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': workflows(
    'POST',
    '/{parent}/executions',
  ),
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.get': workflows('GET', '/{name}'),
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.cancel': workflows(
    'POST',
    '/{name}:cancel',
  ),
  'googleapis.pubsub.v1.projects.topics.publish': pubsub('POST', '/{topic}:publish'),
  'googleapis.storage.v1.objects.get': storage('GET', '/b/{bucket}/o/{object}'),
};

/** The path parameters a template names, in order. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
