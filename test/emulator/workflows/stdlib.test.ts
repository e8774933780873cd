import { describe, expect, it } from 'vitest';
import { raised, result, value } from './helpers.js';

describe('standard library in expressions', () => {
  it.each([
    ['default(null, "d")', 'd'],
    ['default("v", "d")', 'v'],
    ['default(map.get(m, "nope"), 7)', 7],
    ['len("héllo")', 5],
    ['len([1, 2, 3])', 3],
    ['len({"a": 1})', 1],
    ['keys({"a": 1, "b": 2})', ['a', 'b']],
    ['int("42")', 42],
    ['int(3.9)', 3],
    ['double("2.5")', 2.5],
    ['string(12)', '12'],
    ['string(true)', 'true'],
    ['bool("TRUE")', true],
    ['type(1)', 'integer'],
    ['type(1.5)', 'double'],
    ['type("s")', 'string'],
    ['type([])', 'list'],
    ['type({})', 'map'],
    ['type(null)', 'null'],
    ['type(text.encode("x"))', 'bytes'],
    ['map.get(m, ["a", "b"])', 1],
    ['map.get(m, ["a", "x", "y"])', null],
    ['map.merge({"a": 1, "b": 1}, {"b": 2})', { a: 1, b: 2 }],
    ['map.merge_nested({"a": {"x": 1}}, {"a": {"y": 2}})', { a: { x: 1, y: 2 } }],
    ['map.delete({"a": 1, "b": 2}, "a")', { b: 2 }],
    ['list.concat([1, 2], 3)', [1, 2, 3]],
    ['list.prepend([1, 2], 0)', [0, 1, 2]],
    ['text.split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    [
      'text.find_all("abcabc", "bc")',
      [
        { index: 1, match: 'bc' },
        { index: 4, match: 'bc' },
      ],
    ],
    [
      'text.find_all_regex("a1b22", "[0-9]+")',
      [
        { index: 1, match: '1' },
        { index: 3, match: '22' },
      ],
    ],
    ['text.match_regex("10.98.0.0/21", "^[0-9.]+/[0-9]+$")', true],
    ['text.replace_all("a-b-c", "-", "_")', 'a_b_c'],
    ['text.replace_all_regex("v1 v22", "v([0-9]+)", "n\\\\1")', 'n1 n22'],
    ['text.substring("netreflex", 3, 7)', 'refl'],
    ['text.to_lower("ABC")', 'abc'],
    ['text.to_upper("abc")', 'ABC'],
    ['text.url_encode("a b/c")', 'a%20b%2Fc'],
    ['text.url_encode_plus("a b")', 'a+b'],
    ['text.url_decode("a%20b+c")', 'a b c'],
    ['text.decode(text.encode("日本"))', '日本'],
    ['json.encode_to_string({"a": [1, "x"]})', '{"a":[1,"x"]}'],
    ['json.decode("{\\"a\\": [1, true]}")', { a: [1, true] }],
    ['json.decode(json.encode({"k": "v"}))', { k: 'v' }],
    ['base64.encode(text.encode("netreflex"))', 'bmV0cmVmbGV4'],
    ['text.decode(base64.decode("bmV0cmVmbGV4"))', 'netreflex'],
    ['math.abs(-3)', 3],
    ['math.floor(2.7)', 2],
    ['math.max(2, 5)', 5],
    ['math.min(2, 5)', 2],
    ['time.format(0)', '1970-01-01T00:00:00.000000Z'],
    ['time.format(1735689600, "Asia/Tokyo")', '2025-01-01T09:00:00.000000+09:00'],
    ['time.parse("2025-01-01T00:00:00.5Z")', 1735689600.5],
    ['sys.now()', 1735689600],
  ])('%s → %j', async (source, expected) => {
    expect(await value(source, { m: { a: { b: 1 } } })).toEqual(expected);
  });

  it.each([
    ['int("4x")', 'ValueError'],
    ['int([1])', 'TypeError'],
    ['double("x")', 'ValueError'],
    ['string({})', 'TypeError'],
    ['bool("yes")', 'ValueError'],
    ['len(1)', 'TypeError'],
    ['keys([1])', 'TypeError'],
    ['json.decode("{")', 'ValueError'],
    ['json.encode_to_string(text.encode("x"))', 'TypeError'],
    ['base64.decode("***")', 'ValueError'],
    ['text.match_regex("a", "(")', 'ValueError'],
    ['time.parse("yesterday")', 'ValueError'],
    ['time.format(0, "Mars/Olympus")', 'ValueError'],
    ['text.split(1, ",")', 'TypeError'],
    ['len()', 'TypeError'],
    ['len(1, 2)', 'TypeError'],
    ['sys.get_env("NOPE")', 'KeyError'],
  ])('%s raises %s', async (source, tag) => {
    expect((await raised(source)).tags).toContain(tag);
  });

  it('reads the injected environment and ids through sys.get_env and uuid.generate', async () => {
    const source = `
main:
  steps:
    - out:
        return:
          project: \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
          fallback: \${sys.get_env("MISSING", "x")}
          id: \${uuid.generate()}
`;
    expect(
      await result(source, null, { env: { GOOGLE_CLOUD_PROJECT_ID: 'netreflex-demo' }, uuid: () => 'fixed-id' }),
    ).toEqual({
      project: 'netreflex-demo',
      fallback: 'x',
      id: 'fixed-id',
    });
  });

  it('calls library functions from call steps with named args, and logs through the sink', async () => {
    const source = `
main:
  steps:
    - split:
        call: text.split
        args: {source: "a/b", separator: "/"}
        result: parts
    - note:
        call: sys.log
        args: {text: '\${"parts: " + string(len(parts))}', severity: WARNING}
    - wait:
        call: sys.sleep
        args: {seconds: 90}
    - out:
        return: \${parts}
`;
    const seen: unknown[] = [];
    const { run } = await import('./helpers.js');
    const outcome = await run(source, null, { log: (e) => seen.push(e) });
    expect(outcome.result).toEqual(['a', 'b']);
    expect(outcome.logs).toMatchObject([{ severity: 'WARNING', payload: 'parts: 2', step: 'note', routine: 'main' }]);
    expect(seen).toHaveLength(1);
    expect(outcome.clock.sleeps).toEqual([90_000]);
  });
});
