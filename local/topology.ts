/**
 * The sample topology of the articles netreflex was born from (docs/sample-topology.md): the names and
 * ranges the local Google Cloud starts with, so the demo reads like the articles.
 */
export const SAMPLE = {
  project: 'netreflex-demo',
  projectNumber: '123456789012',
  /** Who the local calls without a token of their own (the CLI, the examples) act as: the sample project's owner. */
  owner: 'owner@netreflex-demo.example',
  region: 'asia-northeast1',
  zones: ['asia-northeast1-a', 'asia-northeast1-b', 'asia-northeast1-c'],
  vpcA: { network: 'vpc-a', subnet: 'subnet-a', range: '10.95.0.0/16', gateway: '10.95.0.1' },
  vpcB: { network: 'vpc-b', subnet: 'subnet-b', range: '10.97.0.0/16', gateway: '10.97.0.1' },
  psa: { address: 'vertex-psa-range', range: '10.98.0.0/21', peering: 'servicenetworking-googleapis-com' },
  nat: {
    mig: 'nat-mig',
    template: 'nat-template',
    healthCheck: 'nat-health',
    size: 2,
    baseName: 'nat',
    ilb: 'nat-ilb',
    ilbIp: '10.95.255.253',
  },
  cloudNat: {
    router: 'nat-router',
    nat: 'nat-egress',
    ipName: 'nat-egress-ip-1',
    ip: '203.0.113.5',
    minPortsPerVm: 64,
  },
  destinations: ['198.51.100.10/32', '198.51.100.64/27'],
  armor: { policy: 'inference-policy' },
  bucket: { name: 'netreflex-demo-config', allowlistObject: 'allowlists/inference-policy.yaml' },
  /** pipelineRequests' claims, one object per request (terraform-bootstrap/bucket.tf). */
  requestBucket: 'netreflex-demo-requests',
  /** Where peeringRanges keeps each network's lease and the reservations of prepared runs. */
  stateBucket: 'netreflex-demo-netreflex-state',
  firewall: { psaToNat: 'allow-psa-to-nat' },
  /** Where the sample's pipeline jobs write their outputs: runs/ in the pipeline bucket terraform-bootstrap creates (bucket.tf). */
  pipelineRoot: 'gs://netreflex-demo-netreflex-pipelines/runs',
  /**
   * The sample's compiled pipeline (KFP JSON) in templates/ of that bucket, the one bucket the
   * workflow may read templates from (iam.tf): a run's templateUri gs://… is read and sent as pipelineSpec.
   */
  template: { bucket: 'netreflex-demo-netreflex-pipelines', object: 'templates/train.json' },
} as const;

/** The sample template as a run's templateUri. */
export const SAMPLE_TEMPLATE_URI = `gs://${SAMPLE.template.bucket}/${SAMPLE.template.object}`;

/**
 * The sample's egress IPs — its Cloud NAT's static addresses — as workflows.tf gives them to the
 * workflow in NETREFLEX_EGRESS_IPS: the workflow's egress check and `netreflex status` read this one list.
 */
export const SAMPLE_EGRESS_IPS: readonly string[] = [SAMPLE.cloudNat.ip];
