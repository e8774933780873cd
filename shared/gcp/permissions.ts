/**
 * The IAM permissions behind every Google API method netreflex calls. Each wrapper under
 * shared/gcp/ names its method ids here, and each function lists the method ids it calls in
 * shared/config/functions.ts; the Terraform checks grant exactly the union (least privilege) and
 * fail when a call is added without its permission.
 */
export const API_PERMISSIONS = {
  'compute.routes.list': ['compute.routes.list'],
  'compute.routes.get': ['compute.routes.get'],
  // The next hop is used too: an instance (compute.instances.use) or an internal load balancer (compute.forwardingRules.use).
  'compute.routes.insert': ['compute.routes.create', 'compute.networks.updatePolicy', 'compute.instances.use', 'compute.forwardingRules.use'],
  'compute.routes.delete': ['compute.routes.delete', 'compute.networks.updatePolicy'],
  'compute.networks.get': ['compute.networks.get'],
  'compute.networks.updatePeering': ['compute.networks.updatePeering'],
  'compute.networks.listPeeringRoutes': ['compute.networks.listPeeringRoutes'],
  'compute.regionInstanceGroupManagers.get': ['compute.instanceGroupManagers.get'],
  'compute.regionInstanceGroupManagers.listManagedInstances': ['compute.instanceGroupManagers.get'],
  'compute.instances.get': ['compute.instances.get'],
  'compute.forwardingRules.get': ['compute.forwardingRules.get'],
  'compute.regionBackendServices.get': ['compute.regionBackendServices.get'],
  'compute.regionBackendServices.getHealth': ['compute.regionBackendServices.get'],
  'compute.globalOperations.wait': ['compute.globalOperations.get'],
  'compute.regionOperations.wait': ['compute.regionOperations.get'],
  'compute.zoneOperations.wait': ['compute.zoneOperations.get'],
  'pubsub.topics.publish': ['pubsub.topics.publish'],
  'storage.objects.get': ['storage.objects.get'],
  // Replacing an existing object (ifGenerationMatch=<g>) also needs delete
  // (https://cloud.google.com/storage/docs/access-control/iam-permissions: objects.insert "requires
  // storage.objects.delete to overwrite").
  'storage.objects.insert': ['storage.objects.create', 'storage.objects.delete'],
  'compute.securityPolicies.get': ['compute.securityPolicies.get'],
  'compute.securityPolicies.list': ['compute.securityPolicies.list'],
  'compute.securityPolicies.getRule': ['compute.securityPolicies.get'],
  'compute.securityPolicies.addRule': ['compute.securityPolicies.update'],
  'compute.securityPolicies.patchRule': ['compute.securityPolicies.update'],
  'compute.securityPolicies.removeRule': ['compute.securityPolicies.update'],
  'compute.securityPolicies.setLabels': ['compute.securityPolicies.setLabels'],
  'compute.routers.get': ['compute.routers.get'],
  'compute.routers.getRouterStatus': ['compute.routers.get'],
  'compute.addresses.get': ['compute.addresses.get'],
  'compute.globalAddresses.list': ['compute.globalAddresses.list'],
  'compute.globalAddresses.get': ['compute.globalAddresses.get'],
  'compute.globalAddresses.insert': ['compute.globalAddresses.createInternal', 'compute.networks.use'],
  'compute.globalAddresses.delete': ['compute.globalAddresses.delete', 'compute.globalAddresses.deleteInternal'],
  'compute.firewalls.get': ['compute.firewalls.get'],
  'compute.firewalls.patch': ['compute.firewalls.update', 'compute.networks.updatePolicy'],
  'compute.subnetworks.get': ['compute.subnetworks.get'],
  'compute.instanceTemplates.get': ['compute.instanceTemplates.get'],
  'compute.regionInstanceGroupManagers.patch': ['compute.instanceGroupManagers.update'],
  'servicenetworking.services.connections.list': ['servicenetworking.services.get'],
  'servicenetworking.services.connections.create': ['servicenetworking.services.addPeering'],
  'servicenetworking.services.connections.patch': ['servicenetworking.services.addPeering'],
  'servicenetworking.operations.get': ['servicenetworking.operations.get'],
  'aiplatform.pipelineJobs.list': ['aiplatform.pipelineJobs.list'],
  'aiplatform.customJobs.list': ['aiplatform.customJobs.list'],
  'workflowexecutions.executions.create': ['workflows.executions.create'],
  'workflowexecutions.executions.list': ['workflows.executions.list'],
} as const satisfies Record<string, readonly string[]>;

export type ApiMethod = keyof typeof API_PERMISSIONS;

/** The permissions a set of method calls needs, sorted and without duplicates. */
export function permissionsFor(methods: readonly ApiMethod[]): string[] {
  return [...new Set(methods.flatMap((m) => API_PERMISSIONS[m]))].sort();
}
