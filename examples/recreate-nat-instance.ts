/**
 * Recreates the first NAT VM of `nat-mig` with the official @google-cloud/compute client — what
 * MIG autohealing or an operator does in production — and prints the MIG as it settles.
 * Against the local Google Cloud: NETREFLEX_EMULATOR_HOST=http://127.0.0.1:8090 (or 127.0.0.1:8090).
 */
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';

const raw = process.env.NETREFLEX_EMULATOR_HOST ?? 'http://127.0.0.1:8090';
const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`); // a URL, or host:port as PUBSUB_EMULATOR_HOST takes it
const opts = {
  apiEndpoint: host.hostname,
  port: Number(host.port),
  protocol: host.protocol.replace(':', ''),
  authClient: new PassThroughClient(),
} as unknown as ConstructorParameters<typeof compute.RegionInstanceGroupManagersClient>[0];
const project = process.env.NETREFLEX_PROJECT ?? 'netreflex-demo';
const region = process.env.NETREFLEX_REGION ?? 'asia-northeast1';
const mig = { project, region, instanceGroupManager: process.env.NETREFLEX_NAT_MIG ?? 'nat-mig' };

const migs = new compute.RegionInstanceGroupManagersClient(opts);
const [instances] = await migs.listManagedInstances(mig);
const victim = instances[0];
if (!victim?.instance) throw new Error(`no instance in ${mig.instanceGroupManager}`);
console.log(`recreating ${victim.name} (id ${victim.id})`);
const [operation] = await migs.recreateInstances({
  ...mig,
  regionInstanceGroupManagersRecreateRequestResource: { instances: [victim.instance] },
});
// The MIG takes the request when the operation is DONE; only then does its VM show RECREATING.
const ops = new compute.RegionOperationsClient(opts);
await ops.wait({ project, region, operation: (operation.latestResponse as { name: string }).name });

// Settled: the victim is a new VM (another id) and every VM runs with no action pending.
const settled = (now: typeof instances) =>
  now.every((m) => m.currentAction === 'NONE' && m.instanceStatus === 'RUNNING') &&
  now.some((m) => m.name === victim.name && String(m.id) !== String(victim.id));
for (let i = 0; i < 60; i++) {
  const [now] = await migs.listManagedInstances(mig);
  console.log(now.map((m) => `${m.name}: ${m.instanceStatus ?? '-'}/${m.currentAction}`).join('   '));
  if (settled(now)) break;
  await new Promise((r) => setTimeout(r, 1000));
}
await Promise.all([migs.close(), ops.close()]);
