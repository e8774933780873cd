/**
 * The functions netreflex deploys: one row per Cloud Function, read by `netreflex up` (which runs
 * them locally under the Functions Framework) and by the Terraform checks (which compare the
 * deployed environment with `env` and the granted permissions with `permissions`).
 */
import type { EnvSchema } from './env.js';
import type { ApiMethod } from '../gcp/permissions.js';
import { natRoutesEnv } from './nat-routes.js';
import { armorAllowlistEnv } from './armor-allowlist.js';
import { peeringRangesEnv } from './peering-ranges.js';
import { pipelineRequestsEnv } from './pipeline-requests.js';

export type SignatureType = 'cloudevent' | 'http';

export interface FunctionSpec {
  /** Entry point exported by functions/index.ts (and the Cloud Functions entry point). */
  entryPoint: string;
  /** Folder under functions/ holding the handler and its sample events. */
  folder: string;
  signatureType: SignatureType;
  env: EnvSchema;
  /** Every Google API method the function calls (see shared/gcp/permissions.ts). */
  calls: ApiMethod[];
}

export const FUNCTIONS: FunctionSpec[] = [
  {
    entryPoint: 'natRoutes',
    folder: 'functions/nat-routes',
    signatureType: 'cloudevent',
    env: natRoutesEnv,
    calls: [
      'compute.routes.list', 'compute.routes.insert', 'compute.routes.get', 'compute.routes.delete', 'compute.globalOperations.wait',
      'compute.networks.get', 'compute.networks.updatePeering', 'compute.networks.listPeeringRoutes',
      'compute.regionInstanceGroupManagers.listManagedInstances', 'compute.instances.get', 'pubsub.topics.publish',
      'compute.forwardingRules.get', 'compute.regionBackendServices.get', 'compute.regionBackendServices.getHealth',
    ],
  },
  {
    entryPoint: 'natRoutesSync',
    folder: 'functions/nat-routes',
    signatureType: 'http',
    env: natRoutesEnv,
    calls: [
      'compute.routes.list', 'compute.routes.insert', 'compute.routes.get', 'compute.routes.delete', 'compute.globalOperations.wait',
      'compute.networks.get', 'compute.networks.updatePeering', 'compute.networks.listPeeringRoutes',
      'compute.regionInstanceGroupManagers.listManagedInstances', 'compute.instances.get',
      'compute.forwardingRules.get', 'compute.regionBackendServices.get', 'compute.regionBackendServices.getHealth',
    ],
  },
  {
    entryPoint: 'pipelineRequests',
    folder: 'functions/pipeline-requests',
    signatureType: 'cloudevent',
    env: pipelineRequestsEnv,
    calls: ['storage.objects.get', 'storage.objects.insert', 'workflowexecutions.executions.create', 'workflowexecutions.executions.list', 'pubsub.topics.publish'],
  },
  {
    entryPoint: 'peeringRanges',
    folder: 'functions/peering-ranges',
    signatureType: 'http',
    env: peeringRangesEnv,
    calls: [
      'compute.networks.get', 'compute.subnetworks.get', 'compute.routes.list', 'compute.networks.listPeeringRoutes', 'compute.networks.updatePeering',
      'compute.globalAddresses.list', 'compute.globalAddresses.get', 'compute.globalAddresses.insert', 'compute.globalOperations.wait',
      'compute.firewalls.get', 'compute.firewalls.patch', 'compute.regionInstanceGroupManagers.get', 'compute.regionInstanceGroupManagers.patch',
      'compute.instanceTemplates.get', 'compute.regionOperations.wait', 'compute.routers.get',
      'servicenetworking.services.connections.list', 'servicenetworking.services.connections.create', 'servicenetworking.services.connections.patch', 'servicenetworking.operations.get',
      'aiplatform.pipelineJobs.list', 'aiplatform.customJobs.list',
      'storage.objects.get', 'storage.objects.insert',
    ],
  },
  {
    entryPoint: 'armorAllowlist',
    folder: 'functions/armor-allowlist',
    signatureType: 'cloudevent',
    env: armorAllowlistEnv,
    calls: [
      'storage.objects.get', 'compute.securityPolicies.get', 'compute.securityPolicies.list', 'compute.securityPolicies.getRule', 'compute.securityPolicies.addRule',
      'compute.securityPolicies.patchRule', 'compute.securityPolicies.removeRule', 'compute.securityPolicies.setLabels', 'compute.globalOperations.wait',
      'compute.routers.get', 'compute.routers.getRouterStatus', 'compute.addresses.get',
    ],
  },
];
