/**
 * What every peeringRanges concurrency scenario checks afterwards, read through the official
 * compute client and Service Networking's REST API as an operator would: the union of everyone's
 * ranges is on the connection, the firewall and the NAT metadata; no NAT VM was recreated; every
 * 200 was verified and its ranges hold what it was told.
 */
import { expect } from 'vitest';
import { SAMPLE } from '../../local/topology.js';
import { PROJECT, REGION } from './compute.js';
import { networkOf, psaComputeClients, serviceNetworking } from './vertex.js';

export const KEY = 'netreflex-psa-ranges';
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };

export interface RangesView {
  connection: string[];
  firewall: string[];
  metadata: string[];
  metadataKeys: Record<string, string>;
  /** name → CIDR of every VPC_PEERING address of vpc-a. */
  addresses: Record<string, string>;
}

export function rangesClients(port: number, url: string) {
  const c = psaComputeClients(port);
  const sn = serviceNetworking(url);
  return {
    c,
    sn,
    async view(): Promise<RangesView> {
      const [[fw], [mig], [addresses], connections] = await Promise.all([
        c.firewalls.get({ project: PROJECT, firewall: SAMPLE.firewall.psaToNat }),
        c.migs.get(MIG),
        c.addresses.list({ project: PROJECT }),
        sn.list(networkOf('vpc-a')),
      ]);
      const md = (mig.allInstancesConfig?.properties?.metadata ?? {}) as Record<string, string>;
      return {
        connection: connections[0]?.reservedPeeringRanges ?? [],
        firewall: fw.sourceRanges ?? [],
        metadata: (md[KEY] ?? '').split(',').filter(Boolean),
        metadataKeys: md,
        addresses: Object.fromEntries(
          addresses
            .filter((a) => a.purpose === 'VPC_PEERING' && a.network?.endsWith('/networks/vpc-a'))
            .map((a) => [a.name!, `${a.address}/${a.prefixLength}`]),
        ),
      };
    },
    /** The NAT VMs as `name → id`: a recreated or replaced VM has a new id (or name). */
    async natVms(): Promise<Record<string, string>> {
      const [managed] = await c.migs.listManagedInstances(MIG);
      return Object.fromEntries(managed.map((m) => [m.name!, String(m.id)]));
    },
    /** Foreign writers, the way gcloud and the console do it: read, merge, write. */
    foreign: {
      async addRange(name: string, address: string, prefixLength: number): Promise<void> {
        const [res] = await c.addresses.insert({
          project: PROJECT,
          addressResource: {
            name,
            address,
            prefixLength,
            purpose: 'VPC_PEERING',
            addressType: 'INTERNAL',
            network: 'global/networks/vpc-a',
          },
        });
        await c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
      },
      async connect(name: string, wait = true): Promise<void> {
        const [current] = await sn.list(networkOf('vpc-a'));
        const op = await sn.patch(networkOf('vpc-a'), [...current!.reservedPeeringRanges, name]);
        if (wait) await sn.wait(op);
      },
      async allowSource(cidr: string): Promise<void> {
        const [fw] = await c.firewalls.get({ project: PROJECT, firewall: SAMPLE.firewall.psaToNat });
        const [res] = await c.firewalls.patch({
          project: PROJECT,
          firewall: SAMPLE.firewall.psaToNat,
          firewallResource: { sourceRanges: [...(fw.sourceRanges ?? []), cidr] },
        });
        await c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
      },
      async metadata(extra: Record<string, string>, addRange?: string): Promise<void> {
        for (;;) {
          const [mig] = await c.migs.get(MIG);
          const md = (mig.allInstancesConfig?.properties?.metadata ?? {}) as Record<string, string>;
          const value = addRange ? [...(md[KEY] ?? '').split(',').filter(Boolean), addRange].join(',') : md[KEY];
          try {
            const [res] = await c.migs.patch({
              ...MIG,
              instanceGroupManagerResource: {
                fingerprint: mig.fingerprint,
                allInstancesConfig: { properties: { metadata: { ...extra, ...(value ? { [KEY]: value } : {}) } } },
              },
            });
            const [done] = await c.regionOps.wait({
              project: PROJECT,
              region: REGION,
              operation: (res.latestResponse as { name: string }).name,
            });
            if (done.httpErrorStatusCode === 412) continue;
            return;
          } catch (err) {
            if ((err as { code?: number }).code !== 412) throw err;
          }
        }
      },
    },
  };
}

export interface Answered {
  status: number;
  body: {
    status?: string;
    verified?: boolean;
    reservedIpRanges?: string[];
    allocated?: { name: string; cidr: string }[];
    ranges?: { name: string; cidr: string; jobs: number }[];
    capacity?: {
      required: number;
      requested: number;
      others: number;
      before: number;
      after: number;
      estimated: boolean;
      demand: { source: string; jobs: number; nodesPerJob: number; ranges?: string[] }[];
      leftToOthers: string[];
    };
    changes?: { kind: string; ok?: boolean; description: string; planned?: boolean }[];
    reasons?: string[];
    error?: { kind: string; message: string; transient: boolean };
  };
}

/** The invariants after a scenario: `foreign` entries kept, every answer's ranges wired everywhere, VMs untouched. */
export function expectUnion(
  view: RangesView,
  answers: readonly Answered[],
  foreign: { connection?: string[]; firewall?: string[]; metadata?: string[]; metadataKeys?: string[] } = {},
): void {
  for (const a of answers) {
    expect(a.status, JSON.stringify(a.body.error ?? a.body.status)).toBe(200);
    expect(a.body.verified).toBe(true);
    expect(a.body.capacity!.after).toBeGreaterThanOrEqual(a.body.capacity!.required);
    for (const r of a.body.ranges ?? []) {
      expect(view.addresses[r.name], `address ${r.name}`).toBe(r.cidr);
      expect(view.connection, `connection lacks ${r.name}`).toContain(r.name);
      expect(view.firewall, `firewall lacks ${r.cidr}`).toContain(r.cidr);
      expect(view.metadata, `metadata lacks ${r.cidr}`).toContain(r.cidr);
    }
    for (const name of a.body.reservedIpRanges ?? []) expect(view.connection).toContain(name);
  }
  for (const n of foreign.connection ?? [])
    expect(view.connection, `foreign ${n} dropped from the connection`).toContain(n);
  for (const n of foreign.firewall ?? []) expect(view.firewall, `foreign ${n} dropped from the firewall`).toContain(n);
  for (const n of foreign.metadata ?? []) expect(view.metadata, `foreign ${n} dropped from the metadata`).toContain(n);
  for (const k of foreign.metadataKeys ?? []) expect(Object.keys(view.metadataKeys)).toContain(k);
  expect(new Set(view.connection).size).toBe(view.connection.length);
}
