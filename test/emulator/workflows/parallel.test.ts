import { describe, expect, it } from 'vitest';
import { result, run } from './helpers.js';

describe('parallel', () => {
  it('runs branches concurrently and writes only shared variables', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - out: {}
    - both:
        parallel:
          shared: [out]
          branches:
            - slow:
                steps:
                  - wait:
                      call: sys.sleep
                      args: {seconds: 2}
                  - put:
                      assign:
                        - out.slow: \${sys.now()}
            - fast:
                steps:
                  - put_fast:
                      assign:
                        - out.fast: \${sys.now()}
                        - local_only: 1
    - done:
        return: \${out}
`;
    const value = (await result(source)) as { slow: number; fast: number };
    expect(Object.keys(value).sort()).toEqual(['fast', 'slow']);
    expect(value.fast).toBeLessThan(value.slow);
  });

  it('refuses to assign a parent variable that is not shared', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - total: 0
    - p:
        parallel:
          branches:
            - a:
                steps:
                  - w:
                      assign:
                        - total: 1
            - b:
                steps: []
`;
    const outcome = await run(source);
    expect(outcome.errorValue).toMatchObject({
      tags: ['UnhandledBranchError'],
      branches: [{ id: 'a', error: { tags: ['TypeError'] } }],
    });
    expect((outcome.errorValue as { branches: { error: { message: string } }[] }).branches[0]!.error.message).toContain(
      "list it in 'shared'",
    );
  });

  it('parallel for runs every iteration with its own value, bounded by concurrency_limit', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - squares: {}
    - each:
        parallel:
          shared: [squares]
          concurrency_limit: 2
          for:
            value: n
            range: [1, 5]
            steps:
              - nap:
                  call: sys.sleep
                  args: {seconds: 1}
              - sq:
                  assign:
                    - squares[string(n)]: \${n * n}
    - out:
        return: \${squares}
`;
    expect(await result(source)).toEqual({ 1: 1, 2: 4, 3: 9, 4: 16, 5: 25 });
  });

  it('collects every failed branch into one UnhandledBranchError after the others finish', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - finished: []
    - each:
        parallel:
          shared: [finished]
          for:
            value: n
            in: [1, 2, 3, 4]
            steps:
              - odd:
                  switch:
                    - condition: \${n % 2 == 1}
                      raise: '\${"odd " + string(n)}'
              - ok:
                  assign:
                    - finished: \${list.concat(finished, n)}
`;
    const outcome = await run(source);
    expect(outcome.errorValue).toMatchObject({
      tags: ['UnhandledBranchError'],
      branches: [
        { id: '0', error: 'odd 1' },
        { id: '2', error: 'odd 3' },
      ],
    });
  });

  it('a shared variable must exist before the parallel step', async () => {
    const outcome = await run(
      'main:\n  steps:\n    - p:\n        parallel:\n          shared: [nope]\n          branches:\n            - a:\n                steps: []\n            - b:\n                steps: []\n',
    );
    expect(outcome.errorValue).toMatchObject({ tags: ['KeyError', 'LookupError'] });
  });
});
