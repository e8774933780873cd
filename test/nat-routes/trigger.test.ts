/**
 * Which audit-log events wake natRoutes: every entry about a NAT VM in the region or about the NAT
 * MIG, whichever way Google names the project (id for API calls, number for what the MIG does
 * itself) and whichever API version the caller used; nothing about other projects, zones or MIGs.
 */
import { describe, expect, it } from 'vitest';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { judgeTrigger } from '../../shared/nat-routes/trigger.js';
import { parseCloudEvent } from '../../shared/events/parse.js';

const cfg = loadNatRoutesConfig({ ...sampleEnv('http://127.0.0.1:1'), NETREFLEX_LOG_LEVEL: 'silent' });

function audit(methodName: string, resourceName: string) {
  return judgeTrigger(
    parseCloudEvent({
      id: 'e1',
      type: 'google.cloud.audit.log.v1.written',
      data: { protoPayload: { methodName, resourceName } },
    }),
    cfg,
  );
}

describe('natRoutes audit-log trigger', () => {
  const zone = `${SAMPLE.region}-b`;

  it('an instance named with the project id or the project number wakes it', () => {
    expect(audit('v1.compute.instances.stop', `projects/${SAMPLE.project}/zones/${zone}/instances/nat-x1y2`).sync).toBe(
      true,
    );
    expect(
      audit('v1.compute.instances.insert', `projects/${SAMPLE.projectNumber}/zones/${zone}/instances/nat-x1y2`).sync,
    ).toBe(true);
    expect(
      audit('beta.compute.instances.delete', `projects/${SAMPLE.projectNumber}/zones/${zone}/instances/nat-x1y2`).sync,
    ).toBe(true);
  });

  it('the NAT MIG named with the project id or number wakes it', () => {
    expect(
      audit(
        'v1.compute.regionInstanceGroupManagers.resize',
        `projects/${SAMPLE.project}/regions/${SAMPLE.region}/instanceGroupManagers/${SAMPLE.nat.mig}`,
      ).sync,
    ).toBe(true);
    expect(
      audit(
        'beta.compute.regionInstanceGroupManagers.patch',
        `projects/${SAMPLE.projectNumber}/regions/${SAMPLE.region}/instanceGroupManagers/${SAMPLE.nat.mig}`,
      ).sync,
    ).toBe(true);
  });

  it('another project (by id or number), another region or another MIG is acknowledged without a sync', () => {
    expect(audit('v1.compute.instances.stop', `projects/other-project/zones/${zone}/instances/nat-x1y2`)).toMatchObject(
      { sync: false, why: expect.stringMatching(/other-project/) },
    );
    expect(audit('v1.compute.instances.stop', `projects/999999999999/zones/${zone}/instances/nat-x1y2`).sync).toBe(
      false,
    );
    expect(
      audit('v1.compute.instances.stop', `projects/${SAMPLE.projectNumber}/zones/us-central1-a/instances/nat-x1y2`)
        .sync,
    ).toBe(false);
    expect(
      audit(
        'v1.compute.regionInstanceGroupManagers.resize',
        `projects/${SAMPLE.projectNumber}/regions/${SAMPLE.region}/instanceGroupManagers/other-mig`,
      ).sync,
    ).toBe(false);
  });
});
