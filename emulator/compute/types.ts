/**
 * The Compute resources the local Google Cloud keeps, typed by the fields the emulator reads,
 * named and shaped as in compute.proto (@google-cloud/compute build/protos/google/cloud/compute/v1/compute.proto,
 * the message of the same name). Each stays open (`Resource`'s index signature): the store keeps
 * the whole JSON the REST API returns, and fields the emulator only passes through stay `unknown`.
 */
import type { Resource } from '../store.js';

/** compute.proto `NetworkPeering`. */
export interface Peering {
  name: string;
  network: string;
  state: string;
  exportCustomRoutes: boolean;
  importCustomRoutes: boolean;
  exchangeSubnetRoutes: boolean;
  /** Emulator-internal (never shown): the routes the far side exports to this network. */
  remoteRoutes?: RemoteRoute[];
  /** Emulator-internal (never shown): whether the far side imports our custom routes. */
  peerImportCustomRoutes?: boolean;
  [k: string]: unknown;
}

/** Routes the peer side exports to us (what `direction=INCOMING` shows), kept beside the peering. */
export interface RemoteRoute {
  destRange: string;
  type: 'SUBNET_PEERING_ROUTE' | 'STATIC_PEERING_ROUTE' | 'DYNAMIC_PEERING_ROUTE';
  nextHopRegion?: string;
  priority?: number;
}

/** compute.proto `Network`. */
export interface Network extends Resource {
  selfLink?: string;
  peerings?: Peering[];
}

/** compute.proto `Subnetwork` (`secondaryIpRanges` are `SubnetworkSecondaryRange`s). */
export interface Subnetwork extends Resource {
  network?: string;
  ipCidrRange?: string;
  secondaryIpRanges?: { rangeName: string; ipCidrRange: string }[];
}

/** compute.proto `NetworkInterface`. */
export interface NetworkInterface {
  network?: string;
  subnetwork?: string;
  networkIP?: string;
  [k: string]: unknown;
}

/** compute.proto `Metadata` (`items` are `Items` of key and value). */
export interface Metadata {
  fingerprint?: string;
  items?: { key: string; value: string }[];
  [k: string]: unknown;
}

/** compute.proto `Instance`. */
export interface Instance extends Resource {
  status?: string;
  networkInterfaces?: NetworkInterface[];
  metadata?: Metadata;
  tags?: { items?: string[]; fingerprint?: string };
  labels?: Record<string, string>;
}

/** A template's `NetworkInterface`: the network and subnetwork its VMs' interface joins. */
export interface NicTemplate {
  network: string;
  subnetwork: string;
}

/** compute.proto `InstanceProperties`, what an `InstanceTemplate` builds. */
export interface InstanceProperties {
  tags?: { items?: string[] };
  canIpForward?: boolean;
  machineType?: string;
  networkInterfaces?: NicTemplate[];
  metadata?: { items?: { key: string; value: string }[] };
  labels?: Record<string, string>;
  [k: string]: unknown;
}

/** compute.proto `InstanceTemplate`. */
export interface InstanceTemplate extends Resource {
  properties?: InstanceProperties;
}

/** compute.proto `InstanceGroupManager`. */
export interface InstanceGroupManager extends Resource {
  fingerprint?: string;
  instanceTemplate?: string;
  targetSize?: number;
  versions?: { instanceTemplate?: string; name?: string }[];
  /** `InstanceGroupManagerAllInstancesConfig.properties` is an `InstancePropertiesPatch`. */
  allInstancesConfig?: { properties?: { metadata?: Record<string, string>; labels?: Record<string, string> } };
  distributionPolicy?: { zones?: { zone: string }[]; [k: string]: unknown };
  updatePolicy?: object;
  autoHealingPolicies?: { healthCheck?: string; initialDelaySec?: number }[];
  status?: { allInstancesConfig?: { currentRevision?: string; effective?: boolean }; [k: string]: unknown };
}

/** compute.proto `Backend`. */
export interface Backend {
  group: string;
  failover?: boolean;
  [k: string]: unknown;
}

/** compute.proto `BackendService`. */
export interface BackendService extends Resource {
  backends?: Backend[];
  healthChecks?: string[];
  failoverPolicy?: {
    failoverRatio?: number;
    dropTrafficIfUnhealthy?: boolean;
    disableConnectionDrainOnFailover?: boolean;
  };
}

/** compute.proto `ForwardingRule`. */
export interface ForwardingRule extends Resource {
  IPAddress?: string;
  network?: string;
  subnetwork?: string;
  loadBalancingScheme?: string;
  backendService?: string;
}

/** compute.proto `RouterNat`. */
export interface Nat {
  name: string;
  natIpAllocateOption: 'MANUAL_ONLY' | 'AUTO_ONLY';
  natIps?: string[];
  sourceSubnetworkIpRangesToNat: string;
  [k: string]: unknown;
}

/** compute.proto `Router`. */
export interface Router extends Resource {
  network?: string;
  nats?: Nat[];
}

/** compute.proto `SecurityPolicyRule`. */
export type Rule = Record<string, unknown> & { priority: number; action: string; match: Record<string, unknown> };

/** compute.proto `SecurityPolicy`. */
export interface SecurityPolicy extends Resource {
  fingerprint?: string;
  rules?: Rule[];
}

/** compute.proto `Address`. */
export interface Address extends Resource {
  address?: string;
  prefixLength?: number;
  network?: string;
  subnetwork?: string;
  purpose?: string;
  users?: string[];
}

/** compute.proto `Route`. */
export interface Route extends Resource {
  network?: string;
  destRange?: string;
  tags?: string[];
  priority?: number;
}

/** compute.proto `Firewall`. */
export type Firewall = Resource;

/** compute.proto `HealthCheck`. */
export type HealthCheck = Resource;

/**
 * A Service Networking `Connection` (servicenetworking v1 REST reference), kept under the path of
 * its consumer network: the allocated ranges it holds by name.
 */
export interface PsaConnection extends Resource {
  reservedPeeringRanges?: string[];
}

/** The project-wide (global) collections, by the kind in their path. */
export interface GlobalKinds {
  networks: Network;
  routes: Route;
  firewalls: Firewall;
  healthChecks: HealthCheck;
  instanceTemplates: InstanceTemplate;
  securityPolicies: SecurityPolicy;
  addresses: Address;
}

/** The regional collections, by the kind in their path. */
export interface RegionKinds {
  addresses: Address;
  subnetworks: Subnetwork;
  routers: Router;
  forwardingRules: ForwardingRule;
  backendServices: BackendService;
  instanceGroupManagers: InstanceGroupManager;
}

/** The zonal collections, by the kind in their path. */
export interface ZoneKinds {
  instances: Instance;
}
