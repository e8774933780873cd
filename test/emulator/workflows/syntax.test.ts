import { describe, expect, it } from 'vitest';
import { parseWorkflow, WorkflowSyntaxError, type SyntaxProblem } from '../../../emulator/workflows/index.js';
import { result } from './helpers.js';

function problems(source: string): SyntaxProblem[] {
  try {
    parseWorkflow(source);
  } catch (err) {
    if (err instanceof WorkflowSyntaxError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a WorkflowSyntaxError');
}

const wrap = (steps: string) => `main:\n  steps:\n${steps}`;

describe('parseWorkflow', () => {
  it('accepts the bare list form as main, and JSON source', async () => {
    expect(await result('- a:\n    return: 1\n')).toBe(1);
    expect(await result(JSON.stringify({ main: { steps: [{ a: { return: 'json' } }] } }))).toBe('json');
  });

  it('names the step, the unsupported key and its line', () => {
    const [p] = problems(
      wrap('    - fetch:\n        call: http.get\n        args: {url: "http://x"}\n        timeout_sec: 3\n'),
    );
    expect(p).toMatchObject({ path: 'main.steps[0].fetch.timeout_sec', line: 6 });
    expect(p!.message).toContain("'timeout_sec' is not supported in a 'call' step (step 'fetch')");
  });

  it.each([
    [wrap('    - s:\n        foo: 1\n'), "step 's' has no supported step type"],
    [wrap('    - s:\n        assign: [{a: 1}]\n        call: sys.log\n'), "combines 'assign' and 'call'"],
    [wrap('    - s:\n        call: events.await_callback\n'), 'callbacks and events are not supported'],
    [wrap('    - s:\n        call: nosuch.fn\n'), "unknown call target 'nosuch.fn'"],
    [wrap('    - s:\n        call: http.fetch\n        args: {url: x}\n'), "'http.fetch' is not an HTTP call"],
    [wrap('    - s:\n        call: http.get\n        args: {uri: x}\n'), "'http.get' has no argument 'uri'"],
    [wrap('    - s:\n        call: http.post\n'), "needs argument 'url'"],
    [wrap('    - s:\n        return: ${text.splt("a", ",")}\n'), "unknown function 'text.splt'"],
    [wrap('    - s:\n        return: ${sys.sleep(1)}\n'), "'sys.sleep' is a blocking call"],
    [wrap('    - s:\n        return: ${1 +}\n'), "expression '1 +'"],
    [wrap('    - s:\n        return: "id-${x}"\n'), 'embeds ${...} in text'],
    [wrap('    - s:\n        next: nowhere\n'), "'next: nowhere' names no step"],
    [wrap('    - s:\n        next: break\n'), "'next: break' is only allowed inside a 'for' loop"],
    [wrap('    - a:\n        return: 1\n    - a:\n        return: 2\n'), "step name 'a' is used twice"],
    [wrap('    - s:\n        for:\n          value: v\n          steps: []\n'), "exactly one of 'in' or 'range'"],
    [
      wrap('    - s:\n        parallel:\n          branches:\n            - b1:\n                steps: []\n'),
      'at least 2 branches',
    ],
    [
      wrap(
        '    - s:\n        parallel:\n          exception_policy: unhandled\n          for: {value: v, in: [1], steps: []}\n',
      ),
      'exception_policy "unhandled" is not supported',
    ],
    [
      wrap('    - s:\n        try:\n          return: 1\n        retry: ${http.sometimes}\n'),
      "unknown retry policy 'http.sometimes'",
    ],
    [
      wrap(
        '    - s:\n        try:\n          return: 1\n        retry:\n          predicate: ${nope}\n          max_retries: 1\n          backoff: {initial_delay: 1, max_delay: 2, multiplier: 2}\n',
      ),
      "retry predicate 'nope'",
    ],
    [
      wrap('    - s:\n        try:\n          return: 1\n        retry:\n          predicate: ${retry.always}\n'),
      "'retry' needs 'max_retries'",
    ],
    [
      wrap('    - s:\n        call: sub\n        args: {b: 1}\n') +
        'sub:\n  params: [a]\n  steps:\n    - r:\n        return: ${a}\n',
      "'sub' has no argument 'b'",
    ],
    [
      wrap('    - s:\n        call: sub\n') + 'sub:\n  params: [a]\n  steps:\n    - r:\n        return: ${a}\n',
      "'sub' needs argument 'a'",
    ],
    ['other:\n  steps: []\n', "a workflow needs a 'main' subworkflow"],
    ['main:\n  params: [a, b]\n  steps:\n    - r:\n        return: 1\n', "'main' takes at most one parameter"],
    ['main:\n  steps: [\n', 'document'],
    [
      wrap('    - s:\n        switch:\n          - condition: true\n            call: sys.log\n'),
      "'call' is not supported in a switch condition",
    ],
    [
      wrap(
        '    - s:\n        parallel:\n          branches:\n            - b1:\n                steps:\n                  - r:\n                      return: 1\n            - b2:\n                steps: []\n',
      ),
      "'return' is not allowed inside a parallel step",
    ],
  ])('reports problem %#: %s', (source, message) => {
    const found = problems(source);
    expect(found.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(message);
  });

  it('lists every problem at once, each with a line', () => {
    const found = problems(
      wrap('    - a:\n        bogus: 1\n    - b:\n        call: nope\n    - c:\n        next: missing\n'),
    );
    expect(found).toHaveLength(3);
    expect(found.map((p) => p.line)).toEqual([4, 5, 7]);
    expect(() => parseWorkflow(wrap('    - a:\n        bogus: 1\n'))).toThrow(
      /main\.steps\[0\]\.a \(line 4, column 9\)/,
    );
  });

  it('allows jumps to enclosing blocks and loop keywords inside loops', () => {
    expect(() =>
      parseWorkflow(
        wrap(`    - outer:
        steps:
          - inner:
              next: done
    - loop:
        for:
          value: v
          in: [1]
          steps:
            - check:
                switch:
                  - condition: \${v == 1}
                    next: continue
                next: break
    - done:
        return: 1
`),
      ),
    ).not.toThrow();
  });
});
