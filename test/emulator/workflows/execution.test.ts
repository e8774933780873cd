import { describe, expect, it } from 'vitest';
import { result, run } from './helpers.js';

describe('execution outcome', () => {
  const failing = `
main:
  steps:
    - prepare:
        assign:
          - ranges: []
    - check:
        call: verify
        args: {ranges: '\${ranges}'}
verify:
  params: [ranges]
  steps:
    - empty:
        switch:
          - condition: \${len(ranges) == 0}
            raise:
              message: no PSA range has room for the run
              step: check_ranges
`;

  it('reports an uncaught error like the Executions API: payload, context with step and line, stack trace', async () => {
    const outcome = await run(failing);
    expect(outcome.state).toBe('FAILED');
    expect(JSON.parse(outcome.error!.payload)).toEqual({
      message: 'no PSA range has room for the run',
      step: 'check_ranges',
    });
    expect(outcome.error!.context).toBe(
      'RuntimeError: "no PSA range has room for the run"\nin step "empty", routine "verify", line: 13',
    );
    expect(outcome.error!.stackTrace.elements.map((e) => `${e.routine}.${e.step}`)).toEqual([
      'verify.empty',
      'main.check',
    ]);
    expect(outcome.error!.stackTrace.elements[0]!.position).toEqual({ line: 13, column: 7, length: 5 });
  });

  it('keeps a step history with states, types, lines and the error of the failed steps', async () => {
    const outcome = await run(failing);
    expect(outcome.steps.map((s) => [s.routine, s.step, s.stepType, s.state])).toEqual([
      ['main', 'prepare', 'STEP_ASSIGN', 'STATE_SUCCEEDED'],
      ['main', 'check', 'STEP_SUBWORKFLOW_CALL', 'STATE_FAILED'],
      ['verify', 'empty', 'STEP_SWITCH', 'STATE_FAILED'],
    ]);
    expect(outcome.steps[1]!.exception?.payload).toContain('no PSA range');
    expect(outcome.steps[2]!.line).toBe(13);
  });

  it('stamps start and end from the injected clock', async () => {
    const outcome = await run('main:\n  steps:\n    - w:\n        call: sys.sleep\n        args: {seconds: 3}\n');
    expect(outcome.startTime).toBe('2025-01-01T00:00:00.000Z');
    expect(outcome.endTime).toBe('2025-01-01T00:00:03.000Z');
  });

  it('a cancelled run ends CANCELLED, and try cannot catch the cancellation', async () => {
    const abort = new AbortController();
    const source =
      'main:\n  steps:\n    - t:\n        try:\n          call: sys.sleep\n          args: {seconds: 5}\n        except:\n          steps:\n            - swallowed:\n                return: caught\n';
    const outcome = await run(source, null, {
      signal: abort.signal,
      log: () => undefined,
      clock: {
        now: () => 0,
        sleep: async (_ms: number, signal?: AbortSignal) => {
          abort.abort();
          throw signal?.reason;
        },
      },
    });
    expect(outcome.state).toBe('CANCELLED');
    expect(outcome.result).toBeNull();
  });

  it('returns values with value semantics: a returned map is a copy', async () => {
    expect(
      await result(
        "main:\n  steps:\n    - a:\n        assign:\n          - x: {k: 1}\n          - y: ${x}\n          - y.k: 2\n    - r:\n        return: ['${x.k}', '${y.k}']\n",
      ),
    ).toEqual([1, 2]);
  });
});
