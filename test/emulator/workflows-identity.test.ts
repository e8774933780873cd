/**
 * A workflow runs as its service account: its connector calls carry that account's token (the
 * local Google Cloud checks its roles), its `http.*` calls with `auth` carry the account's tokens,
 * and a PipelineJob it asks to run as another account needs iam.serviceAccounts.actAs on that one,
 * as Vertex AI requires.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { awaitExecution, executionsClient, PARENT } from '../helpers/workflows.js';

const P = SAMPLE.project;
const RUNNER = `netreflex-workflow@${P}.iam.gserviceaccount.com`;
const JOBS = `netreflex-pipelines@${P}.iam.gserviceaccount.com`;
let emu: Emulator;
let callee: Server;
const seen: string[] = [];

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.iam.defineRole(`projects/${P}/roles/runner`, ['compute.securityPolicies.get', 'aiplatform.pipelineJobs.create']);
  emu.iam.grant({ member: `serviceAccount:${RUNNER}`, role: `projects/${P}/roles/runner`, resource: `projects/${P}` });
  callee = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => callee.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  callee.closeAllConnections();
  await new Promise((r) => callee.close(r));
  await emu.close();
});

async function run(id: string, source: string, serviceAccount?: string) {
  // The Workflows API's create (@google-cloud/workflows ships only the Executions client).
  const deployed = await fetch(`${emu.url}/v1/${PARENT}/workflows?workflowId=${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sourceContents: source, ...(serviceAccount ? { serviceAccount } : {}) }),
  });
  expect(deployed.status).toBe(200);
  const executions = executionsClient(emu.port);
  const [started] = await executions.createExecution({ parent: `${PARENT}/workflows/${id}`, execution: {} });
  return awaitExecution(executions, started.name!);
}

const getPolicy = `main:
  steps:
    - get:
        call: googleapis.compute.v1.securityPolicies.get
        args: { project: ${P}, securityPolicy: ${SAMPLE.armor.policy} }
        result: policy
    - done:
        return: \${policy.name}
`;

const createJob = `main:
  steps:
    - create:
        call: googleapis.aiplatform.v1.projects.locations.pipelineJobs.create
        args:
          parent: projects/${P}/locations/${SAMPLE.region}
          region: ${SAMPLE.region}
          body:
            displayName: as-pipelines
            serviceAccount: ${JOBS}
            runtimeConfig: { gcsOutputDirectory: "gs://${SAMPLE.bucket.name}/out" }
            pipelineSpec: { pipelineInfo: { name: p }, root: { dag: { tasks: {} } } }
        result: job
    - done:
        return: \${job.serviceAccount}
`;

describe('the identity of a local workflow', () => {
  it('connector calls carry its service account: what its role grants works, and the check names the account', async () => {
    const e = await run('as-runner', getPolicy, `projects/${P}/serviceAccounts/${RUNNER}`);
    expect(e.state).toBe('SUCCEEDED');
    expect(emu.iamChecks).toContainEqual(
      expect.objectContaining({
        member: `serviceAccount:${RUNNER}`,
        permission: 'compute.securityPolicies.get',
        allowed: true,
      }),
    );
  });

  it("another account's workflow gets Compute's 403 in the step's HttpError", async () => {
    const e = await run('as-stranger', getPolicy, `stranger@${P}.iam.gserviceaccount.com`);
    expect(e.state).toBe('FAILED');
    expect(e.error?.payload).toContain(
      `Required 'compute.securityPolicies.get' permission for 'projects/${P}/global/securityPolicies/${SAMPLE.armor.policy}'`,
    );
  });

  it('a serviceAccount that is neither projects/{p}/serviceAccounts/{email} nor an email is refused with 400', async () => {
    const res = await fetch(`${emu.url}/v1/${PARENT}/workflows?workflowId=bad-account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sourceContents: getPolicy, serviceAccount: 'netreflex-workflow' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "Invalid value at 'workflow.service_account'",
    );
  });

  it('a PipelineJob run as another account needs iam.serviceAccounts.actAs on it: Vertex AI answers 400, then runs it once granted', async () => {
    const refused = await run('job-refused', createJob, RUNNER);
    expect(refused.state).toBe('FAILED');
    expect(refused.error?.payload).toContain(
      `You do not have permission to act as service_account: ${JOBS}. (or it may not exist).`,
    );
    emu.iam.grant({
      member: `serviceAccount:${RUNNER}`,
      role: 'roles/iam.serviceAccountUser',
      resource: `projects/${P}/serviceAccounts/${JOBS}`,
    });
    const ok = await run('job-granted', createJob, RUNNER);
    expect(JSON.parse(ok.result ?? 'null')).toBe(JOBS);
    expect(
      emu.iamChecks
        .filter((c) => c.permission === 'iam.serviceAccounts.actAs')
        .map((c) => [c.member, c.resource, c.allowed]),
    ).toEqual([
      [`serviceAccount:${RUNNER}`, `projects/-/serviceAccounts/${JOBS}`, false],
      [`serviceAccount:${RUNNER}`, `projects/-/serviceAccounts/${JOBS}`, true],
    ]);
  });

  it('http calls with auth carry its tokens: OAuth2 an access token for the account, OIDC an ID token naming it', async () => {
    const url = `http://127.0.0.1:${(callee.address() as AddressInfo).port}/`;
    seen.length = 0;
    const e = await run(
      'http-auth',
      `main:
  steps:
    - oauth:
        call: http.get
        args: { url: "${url}", auth: { type: OAuth2 } }
    - oidc:
        call: http.get
        args: { url: "${url}", auth: { type: OIDC } }
    - none:
        call: http.get
        args: { url: "${url}" }
`,
      RUNNER,
    );
    expect(e.state).toBe('SUCCEEDED');
    const [oauth, oidc, none] = seen;
    expect(emu.iam.principalOf(oauth!.replace(/^Bearer /, ''))).toEqual({
      kind: 'member',
      member: `serviceAccount:${RUNNER}`,
    });
    const claims = JSON.parse(
      Buffer.from(oidc!.replace(/^Bearer /, '').split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({ email: RUNNER, sub: RUNNER, aud: url });
    expect(none).toBe('');
  });

  it('sys.log writes as its service account: without logging.logEntries.create the entry is not written, and the refusal is recorded', async () => {
    const logOnce = (text: string) => `main:
  steps:
    - say:
        call: sys.log
        args: { text: "${text}", severity: INFO }
`;
    const written = () => emu.workflows.logs.map((l) => JSON.stringify(l.payload));
    expect((await run('log-refused', logOnce('not written'), RUNNER)).state).toBe('SUCCEEDED');
    expect(written().some((p) => p.includes('not written'))).toBe(false);
    expect(emu.iamChecks).toContainEqual(
      expect.objectContaining({
        member: `serviceAccount:${RUNNER}`,
        methodId: 'logging.entries.write',
        permission: 'logging.logEntries.create',
        resource: `projects/${P}`,
        allowed: false,
      }),
    );
    emu.iam.grant({ member: `serviceAccount:${RUNNER}`, role: 'roles/logging.logWriter', resource: `projects/${P}` });
    expect((await run('log-allowed', logOnce('written'), RUNNER)).state).toBe('SUCCEEDED');
    expect(written().some((p) => p.includes('written'))).toBe(true);
    expect(emu.iamChecks).toContainEqual(
      expect.objectContaining({
        member: `serviceAccount:${RUNNER}`,
        permission: 'logging.logEntries.create',
        allowed: true,
        role: 'roles/logging.logWriter',
      }),
    );
  });
});
