/**
 * Production and `npm start` wake natRoutes on the same audit-log methods: events.tf's
 * `_nat_audit_methods` must equal NAT_AUDIT_METHODS, which the local stack subscribes to; and the
 * triggers sit where Compute Engine's audit logs arrive (`global`, not the function's region).
 */
import { describe, expect, it } from 'vitest';
import { NAT_AUDIT_METHODS } from '../../shared/nat-routes/trigger.js';
import { blocks, loadModule, locals } from '../../emulator/terraform/reader.js';
import { TF_DIR } from './policy.js';

describe('natRoutes triggers', () => {
  it('Terraform triggers natRoutes on exactly the audit methods the local stack wires', async () => {
    const methods = locals(await loadModule(TF_DIR)).get('_nat_audit_methods')?.value;
    expect(Object.values(methods as Record<string, string>).sort()).toEqual([...NAT_AUDIT_METHODS].sort());
  });

  it('every MIG-changing method is there in v1 and beta, the VM power methods included', () => {
    for (const m of ['instances.stop', 'instances.start', 'instances.reset', 'instances.suspend', 'instances.resume', 'regionInstanceGroupManagers.createInstances', 'regionInstanceGroupManagers.abandonInstances', 'regionInstanceGroupManagers.setInstanceTemplate', 'regionInstanceGroupManagers.update']) {
      for (const v of ['v1', 'beta']) expect(NAT_AUDIT_METHODS).toContain(`${v}.compute.${m}`);
    }
  });

  it('the audit-log triggers are global: Compute Engine audit events are seen as from us-central1 only', async () => {
    const trigger = blocks(await loadModule(TF_DIR), 'resource').find((b) => b.type === 'google_eventarc_trigger' && b.name === 'nat_audit');
    expect(trigger?.body.location).toBe('global');
  });
});
