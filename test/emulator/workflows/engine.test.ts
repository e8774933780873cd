import { describe, expect, it } from 'vitest';
import { FakeClock, WorkflowsEngine, WorkflowSyntaxError } from '../../../emulator/workflows/index.js';

const PARENT = 'projects/netreflex-demo/locations/asia-northeast1';
const NAME = `${PARENT}/workflows/vertex-pipeline-run`;
const ECHO = `
main:
  params: [input]
  steps:
    - out:
        return:
          input: \${input}
          project: \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
          location: \${sys.get_env("GOOGLE_CLOUD_LOCATION")}
          workflow: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_ID")}
          execution: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}
          team: \${sys.get_env("TEAM")}
`;

function engine(clock = new FakeClock()) {
  let n = 0;
  return new WorkflowsEngine({ clock, newExecutionId: () => `exec-${++n}`, projectNumber: '123456789012' });
}

describe('WorkflowsEngine', () => {
  it('deploys revisions and lists workflows under a parent', () => {
    const e = engine();
    const first = e.deployWorkflow(NAME, ECHO);
    const second = e.deployWorkflow(NAME, `${ECHO}\n`);
    expect(first.revisionId).toMatch(/^000001-[0-9a-f]{3}$/);
    expect(second.revisionId).toMatch(/^000002-/);
    expect(e.listWorkflows(PARENT).map((w) => w.name)).toEqual([NAME]);
    expect(() => e.deployWorkflow(NAME, 'main:\n  steps:\n    - x:\n        bogus: 1\n')).toThrow(WorkflowSyntaxError);
    expect(() => e.deployWorkflow('workflows/bad', ECHO)).toThrow(/not a workflow name/);
  });

  it('creates an execution, runs it in the background, and exposes the Execution resource', async () => {
    const e = engine();
    e.deployWorkflow(NAME, ECHO, { TEAM: 'ml' });
    const started = e.createExecution(NAME, { argument: '{"displayName":"nightly"}' });
    expect(started).toMatchObject({
      name: `${NAME}/executions/exec-1`,
      state: 'ACTIVE',
      argument: '{"displayName":"nightly"}',
    });
    const done = await e.awaitExecution(started.name);
    expect(done.state).toBe('SUCCEEDED');
    expect(JSON.parse(done.result!)).toEqual({
      input: { displayName: 'nightly' },
      project: 'netreflex-demo',
      location: 'asia-northeast1',
      workflow: 'vertex-pipeline-run',
      execution: 'exec-1',
      team: 'ml',
    });
    expect(done.workflowRevisionId).toMatch(/^000001-/);
    expect(e.getExecution(started.name)).toBe(done);
    expect(e.stepEntries(started.name).map((s) => s.step)).toEqual(['out']);
  });

  it('lists executions newest first and reports failures with the error shape', async () => {
    const e = engine();
    e.deployWorkflow(NAME, 'main:\n  steps:\n    - boom:\n        raise: {message: broken}\n');
    const a = e.createExecution(NAME);
    const b = e.createExecution(NAME);
    await Promise.all([e.awaitExecution(a.name), e.awaitExecution(b.name)]);
    expect(e.listExecutions(NAME).map((x) => x.name)).toEqual([b.name, a.name]);
    expect(e.getExecution(a.name)).toMatchObject({ state: 'FAILED', error: { payload: '{"message":"broken"}' } });
  });

  it('cancels an active execution, and refuses to cancel a finished one', async () => {
    const e = engine();
    e.deployWorkflow(NAME, 'main:\n  steps:\n    - wait:\n        call: sys.sleep\n        args: {seconds: 3600}\n');
    const x = e.createExecution(NAME);
    const cancelled = await e.cancelExecution(x.name);
    expect(cancelled.state).toBe('CANCELLED');
    await expect(e.cancelExecution(x.name)).rejects.toThrow(/not ACTIVE/);
  });

  it('answers 404 and 400 as the API does', () => {
    const e = engine();
    expect(() => e.getWorkflow(NAME)).toThrow(expect.objectContaining({ code: 404 }));
    e.deployWorkflow(NAME, ECHO);
    expect(() => e.createExecution(NAME, { argument: '{nope' })).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => e.getExecution(`${NAME}/executions/missing`)).toThrow(expect.objectContaining({ code: 404 }));
  });
});
