import { describe, expect, it } from 'vitest';
import { result, run } from './helpers.js';

describe('steps', () => {
  it('assigns variables, nested keys (creating maps), list items and computed keys', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - m: {}
          - l: [1, 2, 3]
          - k: dyn
          - m.a.b: 1
          - m[k]: \${l[0] + 1}
          - l[1]: changed
          - copy: \${m}
          - copy.a.b: 99
    - out:
        return:
          m: \${m}
          l: \${l}
          copy: \${copy}
`;
    expect(await result(source)).toEqual({
      m: { a: { b: 1 }, dyn: 2 },
      l: [1, 'changed', 3],
      copy: { a: { b: 99 }, dyn: 2 },
    });
  });

  it('passes the execution argument to main and returns null without a return', async () => {
    expect(
      await result('main:\n  params: [input]\n  steps:\n    - r:\n        return: ${input.name}\n', { name: 'run-1' }),
    ).toBe('run-1');
    expect(await result('main:\n  steps:\n    - a:\n        assign:\n          - x: 1\n')).toBeNull();
  });

  it('calls subworkflows with defaults, and subworkflow scopes do not leak', async () => {
    const source = `
main:
  steps:
    - one:
        call: greet
        args: {name: ada}
        result: a
    - two:
        call: greet
        args: {name: bob, greeting: hi}
        result: b
    - out:
        return: ['\${a}', '\${b}', '\${default(map.get({}, "local"), "no leak")}']
greet:
  params: [name, greeting: hello]
  steps:
    - build:
        assign:
          - local: \${greeting + " " + name}
    - r:
        return: \${local}
`;
    expect(await result(source)).toEqual(['hello ada', 'hi bob', 'no leak']);
  });

  it('switch: first true condition wins; next, steps, assign, return and raise', async () => {
    const source = `
main:
  params: [n]
  steps:
    - pick:
        switch:
          - condition: \${n < 0}
            raise: {message: negative, code: 400}
          - condition: \${n == 0}
            return: zero
          - condition: \${n < 10}
            assign:
              - size: small
            next: out
          - condition: \${n < 100}
            steps:
              - mid:
                  assign:
                    - size: medium
        next: out
    - big:
        assign:
          - size: unreachable
    - out:
        return: '\${default(map.get({"s": size}, "s"), "none")}'
`;
    expect(await result(source, 5)).toBe('small');
    expect(await result(source, 50)).toBe('medium');
    expect(await result(source, 0)).toBe('zero');
    const failed = await run(source, -1);
    expect(failed.errorValue).toEqual({ message: 'negative', code: 400 });
  });

  it('rejects a non-boolean switch condition', async () => {
    const outcome = await run(
      'main:\n  steps:\n    - s:\n        switch:\n          - condition: ${"yes"}\n            return: 1\n',
    );
    expect(outcome.errorValue).toMatchObject({ tags: ['TypeError'] });
  });

  it('next jumps forward and backward, and end stops the routine', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - i: 0
    - loop:
        assign:
          - i: \${i + 1}
    - again:
        switch:
          - condition: \${i < 5}
            next: loop
    - stop:
        next: end
    - never:
        return: unreachable
`;
    const outcome = await run(source);
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.result).toBeNull();
    expect(outcome.steps.filter((s) => s.step === 'loop')).toHaveLength(5);
  });

  it('for: in with index, range inclusive, break and continue, loop variables stay in the loop', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - seen: []
          - sum: 0
    - each:
        for:
          value: v
          index: i
          in: [a, b, c, d]
          steps:
            - skip:
                switch:
                  - condition: \${v == "b"}
                    next: continue
                  - condition: \${v == "d"}
                    next: break
            - add:
                assign:
                  - seen: \${list.concat(seen, string(i) + v)}
    - ranged:
        for:
          value: n
          range: [1, 4]
          steps:
            - acc:
                assign:
                  - sum: \${sum + n}
    - out:
        return:
          seen: \${seen}
          sum: \${sum}
          leaked: '\${"v" in {}}'
`;
    expect(await result(source)).toEqual({ seen: ['0a', '2c'], sum: 10, leaked: false });
    const leak = await run(
      'main:\n  steps:\n    - l:\n        for:\n          value: v\n          in: [1]\n          steps:\n            - x:\n                assign:\n                  - inner: 1\n    - r:\n        return: ${inner}\n',
    );
    expect(leak.errorValue).toMatchObject({ tags: ['KeyError', 'LookupError'] });
  });

  it('for: a non-list in raises TypeError; a return inside a loop returns from the routine', async () => {
    expect(
      (
        await run(
          'main:\n  steps:\n    - l:\n        for:\n          value: v\n          in: ${"abc"}\n          steps: []\n',
        )
      ).errorValue,
    ).toMatchObject({ tags: ['TypeError'] });
    expect(
      await result(
        'main:\n  steps:\n    - l:\n        for:\n          value: v\n          range: [1, 9]\n          steps:\n            - r:\n                switch:\n                  - condition: ${v == 3}\n                    return: ${v}\n',
      ),
    ).toBe(3);
  });

  it('raise with a string or a map fails the execution with that payload', async () => {
    const s = await run('main:\n  steps:\n    - boom:\n        raise: "ranges exhausted"\n');
    expect(s.state).toBe('FAILED');
    expect(s.error?.payload).toBe('"ranges exhausted"');
    const m = await run('main:\n  steps:\n    - boom:\n        raise: {code: 55, message: "nope"}\n');
    expect(JSON.parse(m.error!.payload)).toEqual({ code: 55, message: 'nope' });
  });

  it('nested steps blocks run in order', async () => {
    expect(
      await result(
        'main:\n  steps:\n    - block:\n        steps:\n          - a:\n              assign:\n                - x: 1\n          - b:\n              assign:\n                - x: ${x + 1}\n    - r:\n        return: ${x}\n',
      ),
    ).toBe(2);
  });

  it('raises RecursionError past the call depth and ResourceLimitError past the step limit', async () => {
    const recursive =
      'main:\n  steps:\n    - go:\n        call: down\n        args: {n: 0}\ndown:\n  params: [n]\n  steps:\n    - again:\n        call: down\n        args: {n: "${n + 1}"}\n';
    expect((await run(recursive)).errorValue).toMatchObject({ tags: ['RecursionError'] });
    const forever = 'main:\n  steps:\n    - spin:\n        next: spin\n';
    expect((await run(forever, null, { limits: { maxSteps: 50 } })).errorValue).toMatchObject({
      tags: ['ResourceLimitError'],
    });
  });
});
