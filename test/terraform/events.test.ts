/**
 * Production and `npm start` wake natRoutes on the same audit-log methods: events.tf's
 * `_nat_audit_methods` must equal NAT_AUDIT_METHODS, which the local stack subscribes to.
 */
import { describe, expect, it } from 'vitest';
import { NAT_AUDIT_METHODS } from '../../shared/nat-routes/trigger.js';
import { loadModule, locals } from '../../emulator/terraform/reader.js';
import { TF_DIR } from './policy.js';

describe('natRoutes triggers', () => {
  it('Terraform triggers natRoutes on exactly the audit methods the local stack wires', async () => {
    const methods = locals(await loadModule(TF_DIR)).get('_nat_audit_methods')?.value;
    expect(Object.values(methods as Record<string, string>).sort()).toEqual([...NAT_AUDIT_METHODS].sort());
  });
});
