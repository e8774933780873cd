import { describe, expect, it } from 'vitest';
import { ExpressionSyntaxError, parseExpression } from '../../../emulator/workflows/index.js';
import { raised, value } from './helpers.js';

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['-2 * 3', -6],
    ['7 // 2', 3],
    ['-7 // 2', -4],
    ['7 % 3', 1],
    ['7 / 2', 3.5],
    ['1 + 2 == 3', true],
    ['1 < 2 and 2 < 3', true],
    ['not 1 == 2', true],
    ['true or false and false', true],
    ['"ab" + "cd"', 'abcd'],
    ['\'single\' + "double"', 'singledouble'],
    ['"a" < "b"', true],
    ['2 in [1, 2, 3]', true],
    ['"k" in {"k": 1}', true],
    ['"x" in {"k": 1}', false],
    ['[1, 2] == [1, 2]', true],
    ['{"a": 1, "b": 2} == {"b": 2, "a": 1}', true],
    ['1 == 1.0', true],
    ['null == null', true],
    ['"esc\\"aped\\n"', 'esc"aped\n'],
    ['1.5e2', 150],
  ])('%s → %j', async (source, expected) => {
    expect(await value(source)).toEqual(expected);
  });

  it('reads maps and lists with . and []', async () => {
    const vars = { m: { a: { b: [10, 20, { c: 'deep' }] } }, k: 'a', i: 2 };
    expect(await value('m.a.b[1]', vars)).toBe(20);
    expect(await value('m[k]["b"][i].c', vars)).toBe('deep');
    expect(await value('m.a.b[i - 1] + 1', vars)).toBe(21);
  });

  it('short-circuits and/or so the right side is not evaluated', async () => {
    expect(await value('false and m.missing', { m: {} })).toBe(false);
    expect(await value('true or m.missing', { m: {} })).toBe(true);
  });

  it.each([
    ['"a" + 1', 'TypeError', "unsupported operand types for +: 'string' and 'integer'"],
    ['1 - "a"', 'TypeError', 'unsupported operand'],
    ['1 / 0', 'ZeroDivisionError', 'division by zero'],
    ['1 // 0', 'ZeroDivisionError', 'division by zero'],
    ['5 % 0', 'ZeroDivisionError', 'division by zero'],
    ['1 < "2"', 'TypeError', 'unsupported operand types for <'],
    ['1 and true', 'TypeError', "'and' needs boolean operands"],
    ['not 1', 'TypeError', "'not' needs boolean operands"],
    ['-"a"', 'TypeError', 'unary -'],
    ['m.nope', 'KeyError', 'key not found: nope'],
    ['l[5]', 'IndexError', 'list index out of range'],
    ['l["x"]', 'TypeError', 'list indices must be integers'],
    ['undefined_var', 'KeyError', "variable 'undefined_var' is not defined"],
    ['1 in 5', 'TypeError', "'in' needs a list or a map"],
  ])('%s raises %s', async (source, tag, message) => {
    const error = await raised(source, { m: {}, l: [1] });
    expect(error.tags).toContain(tag);
    expect(error.message).toContain(message);
  });

  it('adds LookupError and ArithmeticError parent tags', async () => {
    expect((await raised('m.x', { m: {} })).tags).toEqual(['KeyError', 'LookupError']);
    expect((await raised('1 / 0')).tags).toEqual(['ZeroDivisionError', 'ArithmeticError']);
  });

  it.each([
    ['1 +', 'expected a value'],
    ['(1', "expected ')'"],
    ['"open', 'unterminated string'],
    ['1 # 2', "unexpected character '#'"],
    ['a b', 'expected end of expression'],
    ['m[0](1)', 'only named functions can be called'],
    ['{1: 2}', 'expected a string key'],
  ])('rejects %s with an offset', (source, message) => {
    expect(() => parseExpression(source)).toThrow(ExpressionSyntaxError);
    expect(() => parseExpression(source)).toThrow(message);
  });

  it('parses dotted function names as one call', () => {
    expect(parseExpression('text.split(a, ",")')).toMatchObject({ kind: 'call', name: 'text.split' });
  });
});
