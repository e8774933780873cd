/**
 * The sample topology (local/topology.ts) written into a local Google Cloud, the one place it is:
 * the Compute resources (project, networks, the NAT MIG and its load balancer, Private Service
 * Access, Cloud NAT, the Cloud Armor policy) and the sample's buckets. The emulator itself starts
 * empty; the local stack, the examples and the tests that want the sample seed it from here.
 * Seeding writes the store directly: no operation, no audit log, no event, like resources that
 * existed before netreflex was deployed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeUrl, nextId, type Store } from '../emulator/store.js';
import { globalCol, regionCol } from '../emulator/compute/context.js';
import type { Migs } from '../emulator/compute/migs.js';
import { seedSecurityPolicy } from '../emulator/compute/security-policies.js';
import { seedCloudNat } from '../emulator/compute/routers.js';
import { PEERING, SERVICE } from '../emulator/servicenetworking/connections.js';
import type { CloudStorage } from '../emulator/storage/storage.js';
import { Emulator, type EmulatorOptions } from '../emulator/server.js';
import { natUpdatePolicy as natUpdatePolicyFromTerraform } from './nat-policy.js';
import { CACHE_DIR } from './terraform/reader.js';
import { SAMPLE } from './topology.js';

const P = SAMPLE.project;
const url = (path: string) => computeUrl(`projects/${P}/${path}`);

export interface SampleSeedOptions {
  /** Names of the seeded NAT instances (default: two random `nat-xxxx`). */
  natInstances?: string[];
  /** The NAT MIG's `updatePolicy` (API shape); `startSampleEmulator` reads it from terraform-bootstrap/nat.tf unless given, `null` = none. */
  natUpdatePolicy?: Record<string, unknown> | null;
}

export type SampleEmulatorOptions = EmulatorOptions & SampleSeedOptions;

/** Writes the whole sample topology into `emulator` (a fresh one: the names must be free). */
export function seedSample(emulator: Emulator, options: SampleSeedOptions = {}): void {
  seedCompute(emulator.store, emulator.migs, options.natInstances, options.natUpdatePolicy ?? undefined);
  seedStorage(emulator.storage);
}

/** A listening local Google Cloud holding the sample topology, its NAT MIG updating as nat.tf says. */
export async function startSampleEmulator(options: SampleEmulatorOptions = {}): Promise<Emulator> {
  const natUpdatePolicy =
    options.natUpdatePolicy !== undefined ? options.natUpdatePolicy : await natUpdatePolicyFromTerraform();
  // Google's compiled schemas are kept with netreflex's other rebuildable files (.netreflex/cache/).
  // Under the test suite (vitest.config.ts), every reply-shape finding goes to the run's directory,
  // naming the test file (test/iam/source.ts); test/schema/reply-findings.test.ts judges them.
  const findingsDir = process.env.NETREFLEX_REPLY_FINDINGS_DIR;
  const emulator = new Emulator({
    ownerPrincipal: SAMPLE.owner,
    schemaCacheDir: join(CACHE_DIR, 'schema'),
    ...(findingsDir
      ? { replyFindings: { dir: findingsDir, source: process.env.NETREFLEX_IAM_CHECKS_SOURCE ?? '' } }
      : {}),
    ...options,
  });
  seedSample(emulator, { natInstances: options.natInstances, natUpdatePolicy });
  return emulator.listen(options.port ?? 0, options.host);
}

/**
 * The Compute side of the sample topology. `natInstances` defaults to two random names;
 * `natUpdatePolicy` is the NAT MIG's update policy.
 */
function seedCompute(
  store: Store,
  migs: Migs,
  natInstances?: string[],
  natUpdatePolicy?: Record<string, unknown>,
): void {
  store.insert('projects', { name: P, projectNumber: SAMPLE.projectNumber });
  seedNetworks(store);
  const names =
    natInstances ??
    Array.from(
      { length: SAMPLE.nat.size },
      () => `${SAMPLE.nat.baseName}-${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`,
    );
  seedNat(store, migs, names, natUpdatePolicy);
  seedPrivateServiceAccess(store);
  // The sample's Cloud NAT (docs/sample-topology.md, docs/architecture.md §5): static IP nat-egress-ip-1 on router nat-router of vpc-b.
  const { cloudNat } = SAMPLE;
  seedCloudNat(store, {
    project: P,
    region: SAMPLE.region,
    network: SAMPLE.vpcB.network,
    router: cloudNat.router,
    nat: cloudNat.nat,
    ipName: cloudNat.ipName,
    ip: cloudNat.ip,
    ipDescription: 'Fixed egress IP of the Vertex AI Pipelines (Cloud NAT nat-egress)',
    minPortsPerVm: cloudNat.minPortsPerVm,
  });
  // The sample's inference-policy (docs/sample-topology.md): only the default rule, denying with 403.
  seedSecurityPolicy(store, P, {
    name: SAMPLE.armor.policy,
    description: 'Inference endpoint: callers allowed by netreflex allowlist rules, everyone else denied',
    defaultAction: 'deny(403)',
  });
}

function seedNetworks(store: Store): void {
  for (const vpc of [SAMPLE.vpcA, SAMPLE.vpcB]) {
    const isA = vpc === SAMPLE.vpcA;
    store.insert(globalCol(P, 'networks'), {
      kind: 'compute#network',
      id: nextId(),
      creationTimestamp: store.nowIso(),
      name: vpc.network,
      autoCreateSubnetworks: false,
      mtu: 1460,
      routingConfig: { routingMode: 'REGIONAL' },
      selfLink: url(`global/networks/${vpc.network}`),
      subnetworks: [url(`regions/${SAMPLE.region}/subnetworks/${vpc.subnet}`)],
      ...(isA
        ? {
            peerings: [
              {
                name: SAMPLE.psa.peering,
                network:
                  'https://www.googleapis.com/compute/v1/projects/tenant-prod-123/global/networks/servicenetworking',
                state: 'ACTIVE',
                stateDetails: '[2026-11-01T00:00:00.000-07:00]: Connected.',
                autoCreateRoutes: true,
                exchangeSubnetRoutes: true,
                exportCustomRoutes: false,
                importCustomRoutes: false,
                exportSubnetRoutesWithPublicIp: false,
                importSubnetRoutesWithPublicIp: false,
                peerMtu: 1460,
                stackType: 'IPV4_ONLY',
                remoteRoutes: [
                  { destRange: '10.98.0.0/24', type: 'SUBNET_PEERING_ROUTE', nextHopRegion: SAMPLE.region },
                ],
              },
            ],
          }
        : {}),
    });
    store.insert(regionCol(P, SAMPLE.region, 'subnetworks'), {
      kind: 'compute#subnetwork',
      id: nextId(),
      creationTimestamp: store.nowIso(),
      name: vpc.subnet,
      network: url(`global/networks/${vpc.network}`),
      ipCidrRange: vpc.range,
      gatewayAddress: vpc.gateway,
      region: url(`regions/${SAMPLE.region}`),
      secondaryIpRanges: [],
      privateIpGoogleAccess: true,
      stackType: 'IPV4_ONLY',
      purpose: 'PRIVATE',
      selfLink: url(`regions/${SAMPLE.region}/subnetworks/${vpc.subnet}`),
    });
    store.insert(globalCol(P, 'routes'), {
      kind: 'compute#route',
      id: nextId(),
      creationTimestamp: store.nowIso(),
      name: `default-route-${vpc.network}`,
      description: 'Default route to the Internet.',
      network: url(`global/networks/${vpc.network}`),
      destRange: '0.0.0.0/0',
      priority: 1000,
      nextHopGateway: url('global/gateways/default-internet-gateway'),
      routeType: 'STATIC',
      selfLink: url(`global/routes/default-route-${vpc.network}`),
    });
  }
}

function seedNat(store: Store, migs: Migs, instanceNames: string[], updatePolicy?: Record<string, unknown>): void {
  // The health check of terraform-bootstrap/nat.tf (google_compute_health_check.nat).
  store.insert(globalCol(P, 'healthChecks'), {
    kind: 'compute#healthCheck',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.nat.healthCheck,
    type: 'TCP',
    tcpHealthCheck: { port: 22 },
    checkIntervalSec: 10,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    selfLink: url(`global/healthChecks/${SAMPLE.nat.healthCheck}`),
  });
  store.insert(globalCol(P, 'instanceTemplates'), {
    kind: 'compute#instanceTemplate',
    id: nextId(),
    name: SAMPLE.nat.template,
    selfLink: url(`global/instanceTemplates/${SAMPLE.nat.template}`),
    properties: {
      machineType: 'e2-small',
      canIpForward: true,
      tags: { items: ['netreflex-nat'] },
      networkInterfaces: [
        {
          network: url(`global/networks/${SAMPLE.vpcA.network}`),
          subnetwork: url(`regions/${SAMPLE.region}/subnetworks/${SAMPLE.vpcA.subnet}`),
        },
        {
          network: url(`global/networks/${SAMPLE.vpcB.network}`),
          subnetwork: url(`regions/${SAMPLE.region}/subnetworks/${SAMPLE.vpcB.subnet}`),
        },
      ],
      metadata: { items: [{ key: 'netreflex-psa-ranges', value: SAMPLE.psa.range }] },
    },
  });
  store.insert(regionCol(P, SAMPLE.region, 'instanceGroupManagers'), {
    kind: 'compute#instanceGroupManager',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.nat.mig,
    baseInstanceName: SAMPLE.nat.baseName,
    instanceTemplate: url(`global/instanceTemplates/${SAMPLE.nat.template}`),
    versions: [{ instanceTemplate: url(`global/instanceTemplates/${SAMPLE.nat.template}`), name: '' }],
    targetSize: SAMPLE.nat.size,
    region: url(`regions/${SAMPLE.region}`),
    ...(updatePolicy ? { updatePolicy } : {}),
    distributionPolicy: { zones: SAMPLE.zones.map((z) => ({ zone: url(`zones/${z}`) })), targetShape: 'EVEN' },
    autoHealingPolicies: [{ healthCheck: url(`global/healthChecks/${SAMPLE.nat.healthCheck}`), initialDelaySec: 60 }],
    instanceGroup: url(`regions/${SAMPLE.region}/instanceGroups/${SAMPLE.nat.mig}`),
    fingerprint: nextId().slice(-11),
    selfLink: url(`regions/${SAMPLE.region}/instanceGroupManagers/${SAMPLE.nat.mig}`),
  });
  migs.seedInstances({ project: P, region: SAMPLE.region, name: SAMPLE.nat.mig }, instanceNames);
  seedIlb(store);
}

/**
 * The internal passthrough load balancer in front of the NAT MIG, as terraform-bootstrap/nat.tf
 * creates it for `route_mode = "ilb"` (backend service + L3_DEFAULT all-ports forwarding rule on
 * subnet A). It is always there locally; in instance mode nothing points at it.
 */
function seedIlb(store: Store): void {
  const bs = url(`regions/${SAMPLE.region}/backendServices/${SAMPLE.nat.ilb}`);
  store.insert(regionCol(P, SAMPLE.region, 'backendServices'), {
    kind: 'compute#backendService',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.nat.ilb,
    region: url(`regions/${SAMPLE.region}`),
    loadBalancingScheme: 'INTERNAL',
    protocol: 'UNSPECIFIED',
    sessionAffinity: 'NONE',
    network: url(`global/networks/${SAMPLE.vpcA.network}`),
    backends: [
      { group: url(`regions/${SAMPLE.region}/instanceGroups/${SAMPLE.nat.mig}`), balancingMode: 'CONNECTION' },
    ],
    healthChecks: [url(`global/healthChecks/${SAMPLE.nat.healthCheck}`)],
    connectionDraining: { drainingTimeoutSec: 0 },
    fingerprint: 'c2VlZGVkLWJz',
    selfLink: bs,
  });
  store.insert(regionCol(P, SAMPLE.region, 'forwardingRules'), {
    kind: 'compute#forwardingRule',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.nat.ilb,
    region: url(`regions/${SAMPLE.region}`),
    IPAddress: SAMPLE.nat.ilbIp,
    IPProtocol: 'L3_DEFAULT',
    allPorts: true,
    loadBalancingScheme: 'INTERNAL',
    backendService: bs,
    network: url(`global/networks/${SAMPLE.vpcA.network}`),
    subnetwork: url(`regions/${SAMPLE.region}/subnetworks/${SAMPLE.vpcA.subnet}`),
    networkTier: 'PREMIUM',
    fingerprint: 'c2VlZGVkLWZy',
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: url(`regions/${SAMPLE.region}/forwardingRules/${SAMPLE.nat.ilb}`),
  });
}

/** The network tag of the NAT VMs the PSA firewall rule targets (terraform-bootstrap `local.nat_tag`). */
export const NAT_TAG = 'netreflex-nat';

/**
 * The Private Service Access part of the sample topology (docs/sample-topology.md): the allocated range
 * `vertex-psa-range` 10.98.0.0/21 on vpc-a, the Service Networking connection that reserves it,
 * and the firewall rule `allow-psa-to-nat` that lets it reach the NAT VMs. The peering itself is
 * seeded with the network, as Compute shows it.
 */
function seedPrivateServiceAccess(store: Store): void {
  const [address, prefixLength] = SAMPLE.psa.range.split('/');
  store.insert(globalCol(P, 'addresses'), {
    kind: 'compute#address',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.psa.address,
    address,
    prefixLength: Number(prefixLength),
    status: 'RESERVED',
    purpose: 'VPC_PEERING',
    addressType: 'INTERNAL',
    network: url(`global/networks/${SAMPLE.vpcA.network}`),
    ipVersion: 'IPV4',
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: url(`global/addresses/${SAMPLE.psa.address}`),
  });
  const network = `projects/${SAMPLE.projectNumber}/global/networks/${SAMPLE.vpcA.network}`;
  store.insert(`services/${SERVICE}/connections`, {
    name: network,
    network,
    reservedPeeringRanges: [SAMPLE.psa.address],
    peering: PEERING,
    service: `services/${SERVICE}`,
  });
  store.insert(globalCol(P, 'firewalls'), {
    kind: 'compute#firewall',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: SAMPLE.firewall.psaToNat,
    description:
      'Vertex AI nodes in the PSA ranges reach the NAT VMs; netreflex peeringRanges adds every range it allocates.',
    network: url(`global/networks/${SAMPLE.vpcA.network}`),
    priority: 1000,
    direction: 'INGRESS',
    sourceRanges: [SAMPLE.psa.range],
    targetTags: [NAT_TAG],
    allowed: [{ IPProtocol: 'all' }],
    disabled: false,
    logConfig: { enable: false },
    selfLink: url(`global/firewalls/${SAMPLE.firewall.psaToNat}`),
  });
}

const SAMPLE_FILE = 'functions/armor-allowlist/sample-allowlist.yaml';

/** The sample allowlist next to the sources (tsx) or the build output (dist/), if present. */
function sampleAllowlist(): Buffer | undefined {
  for (const up of ['../', '../../']) {
    const path = fileURLToPath(new URL(up + SAMPLE_FILE, import.meta.url));
    if (existsSync(path)) return readFileSync(path);
  }
  return undefined;
}

/**
 * The sample's compiled pipeline, as `kfp.compiler.Compiler().compile` writes a one-component
 * pipeline to JSON (KFP IR, PipelineSpec): one container task, `train`.
 */
const SAMPLE_PIPELINE = {
  pipelineInfo: { name: 'train' },
  schemaVersion: '2.1.0',
  sdkVersion: 'kfp-2.7.0',
  root: { dag: { tasks: { train: { taskInfo: { name: 'train' }, componentRef: { name: 'comp-train' } } } } },
  components: { 'comp-train': { executorLabel: 'exec-train' } },
  deploymentSpec: {
    executors: { 'exec-train': { container: { image: 'python:3.11', command: ['python', '-c', 'print("train")'] } } },
  },
};

/**
 * Seeds the sample config bucket (docs/sample-topology.md) with the sample allowlist, read from
 * `functions/armor-allowlist/sample-allowlist.yaml` so the demo and the docs show the same file.
 * Seeding emits no event: like a bucket that existed before the function was deployed. Object
 * versioning is on, as terraform-bootstrap/bucket.tf sets it: armorAllowlist reads the file a
 * policy last held by its generation after it was replaced or deleted.
 */
function seedStorage(storage: CloudStorage): void {
  storage.createBucket(SAMPLE.project, {
    name: SAMPLE.bucket.name,
    location: SAMPLE.region,
    versioning: { enabled: true },
  });
  storage.createBucket(SAMPLE.project, {
    name: SAMPLE.stateBucket,
    location: SAMPLE.region,
    versioning: { enabled: false },
  });
  storage.createBucket(SAMPLE.project, {
    name: SAMPLE.template.bucket,
    location: SAMPLE.region,
    versioning: { enabled: false },
  });
  storage.writeObject(
    SAMPLE.template.bucket,
    SAMPLE.template.object,
    Buffer.from(JSON.stringify(SAMPLE_PIPELINE, null, 2)),
    { contentType: 'application/json' },
    {},
    false,
  );
  const allowlist = sampleAllowlist();
  if (allowlist)
    storage.writeObject(
      SAMPLE.bucket.name,
      SAMPLE.bucket.allowlistObject,
      allowlist,
      { contentType: 'text/yaml' },
      {},
      false,
    );
}
