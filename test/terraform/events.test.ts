/**
 * Production and `npm start` wake natRoutes on the same audit-log methods: events.tf's
 * `_nat_audit_methods` must equal NAT_AUDIT_METHODS, which the local stack subscribes to; and the
 * triggers sit where Compute Engine's audit logs arrive (`global`, not the function's region).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NAT_AUDIT_METHODS } from '../../shared/nat-routes/trigger.js';
import { blocks, loadModule, locals } from '../../local/terraform/reader.js';
import { TF_DIR } from './policy.js';

const PROTOS = fileURLToPath(
  new URL('../../node_modules/@google-cloud/compute/build/protos/google/cloud/compute/', import.meta.url),
);
const protoText = new Map<string, string>();

/** The methods of one service of compute.proto (`v1` or `v1beta`), as audit logs name them (lowerCamel). */
function rpcs(version: 'v1' | 'v1beta', service: string): string[] {
  if (!protoText.has(version)) protoText.set(version, readFileSync(`${PROTOS}${version}/compute.proto`, 'utf8'));
  const text = protoText.get(version)!;
  const start = text.indexOf(`\nservice ${service} {`);
  if (start < 0) throw new Error(`compute.proto ${version} has no service ${service}`);
  const body = text.slice(start, text.indexOf('\n}', start));
  return [...body.matchAll(/^\s+rpc (\w+)\(/gm)].map((m) => m[1]!.charAt(0).toLowerCase() + m[1]!.slice(1));
}

describe('natRoutes triggers', () => {
  it('Terraform triggers natRoutes on exactly the audit methods the local stack wires', async () => {
    const methods = locals(await loadModule(TF_DIR)).get('_nat_audit_methods')?.value;
    expect(Object.values(methods as Record<string, string>).sort()).toEqual([...NAT_AUDIT_METHODS].sort());
  });

  it('every MIG-changing method is there in v1 and beta, the VM power methods included', () => {
    for (const m of [
      'instances.stop',
      'instances.start',
      'instances.reset',
      'instances.suspend',
      'instances.resume',
      'regionInstanceGroupManagers.createInstances',
      'regionInstanceGroupManagers.abandonInstances',
      'regionInstanceGroupManagers.setInstanceTemplate',
      'regionInstanceGroupManagers.stopInstances',
    ]) {
      for (const v of ['v1', 'beta']) expect(NAT_AUDIT_METHODS).toContain(`${v}.compute.${m}`);
    }
    expect(NAT_AUDIT_METHODS).toContain('beta.compute.regionInstanceGroupManagers.update');
  });

  it('the list holds every RegionInstanceGroupManagers method of compute.proto that changes members, their state or the configuration, and only methods the proto has', () => {
    for (const [version, proto] of [
      ['v1', 'v1'],
      ['beta', 'v1beta'],
    ] as const) {
      const mig = rpcs(proto, 'RegionInstanceGroupManagers');
      const changing = mig.filter(
        (m) =>
          (/Instances$/.test(m) && !/^list/.test(m)) ||
          ['resize', 'resizeAdvanced', 'setInstanceTemplate', 'patch', 'update'].includes(m),
      );
      expect(changing.length).toBeGreaterThan(10);
      for (const m of changing)
        expect(NAT_AUDIT_METHODS, `${version} ${m}`).toContain(`${version}.compute.regionInstanceGroupManagers.${m}`);
      const vm = rpcs(proto, 'Instances');
      for (const m of [
        'insert',
        'delete',
        'stop',
        'start',
        'startWithEncryptionKey',
        'reset',
        'suspend',
        'resume',
        'update',
      ])
        expect(vm).toContain(m);
      for (const full of NAT_AUDIT_METHODS.filter((x) => x.startsWith(`${version}.`))) {
        const [, , service, method] = full.split('.') as [string, string, string, string];
        expect(rpcs(proto, service === 'instances' ? 'Instances' : 'RegionInstanceGroupManagers'), full).toContain(
          method,
        );
      }
    }
  });

  it('the audit-log triggers are global: Compute Engine audit events are seen as from us-central1 only', async () => {
    const trigger = blocks(await loadModule(TF_DIR), 'resource').find(
      (b) => b.type === 'google_eventarc_trigger' && b.name === 'nat_audit',
    );
    expect(trigger?.body.location).toBe('global');
  });
});
