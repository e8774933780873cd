/**
 * IAM Conditions for the local Google Cloud: the part of the condition language (CEL,
 * https://cloud.google.com/iam/docs/conditions-overview) the emulator evaluates — the resource
 * being accessed by its full name (`resource.name`,
 * https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name), compared with
 * `==` / `!=` or tested with `.startsWith("…")` / `.endsWith("…")`, joined by `&&`, `||`, `!` and
 * parentheses. Anything else is refused when the binding is granted, so a condition the emulator
 * cannot judge never silently allows (or denies) what Google would not.
 */
export type Condition =
  | { kind: 'bool'; value: boolean }
  | { kind: 'not'; item: Condition }
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'name'; op: '==' | '!=' | 'startsWith' | 'endsWith'; value: string };

const TOKEN = /\s*(\|\||&&|==|!=|!|\(|\)|\.startsWith\(|\.endsWith\(|"(?:[^"\\]|\\.)*"|resource\.name|true|false)/y;

function tokens(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m)
      throw new SyntaxError(
        `IAM condition "${src}": cannot read from "${src.slice(at, at + 20)}" (the local Google Cloud judges resource.name with ==, !=, startsWith, endsWith, &&, ||, !)`,
      );
    out.push(m[1]!);
  }
  return out;
}

export function parseCondition(src: string): Condition {
  const t = tokens(src);
  let i = 0;
  const peek = () => t[i];
  const expect = (tok: string) => {
    if (t[i++] !== tok) throw new SyntaxError(`IAM condition "${src}": expected ${tok}`);
  };
  const str = () => {
    const s = t[i++];
    if (!s?.startsWith('"')) throw new SyntaxError(`IAM condition "${src}": expected a string`);
    return JSON.parse(s) as string;
  };
  const or = (): Condition => {
    const items = [and()];
    while (peek() === '||') {
      i++;
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };
  const and = (): Condition => {
    const items = [unary()];
    while (peek() === '&&') {
      i++;
      items.push(unary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  const unary = (): Condition => {
    if (peek() === '!') {
      i++;
      return { kind: 'not', item: unary() };
    }
    if (peek() === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (peek() === 'true' || peek() === 'false') return { kind: 'bool', value: t[i++] === 'true' };
    expect('resource.name');
    const op = t[i++];
    if (op === '==' || op === '!=') return { kind: 'name', op, value: str() };
    if (op === '.startsWith(' || op === '.endsWith(') {
      const value = str();
      expect(')');
      return { kind: 'name', op: op === '.startsWith(' ? 'startsWith' : 'endsWith', value };
    }
    throw new SyntaxError(`IAM condition "${src}": expected ==, != , .startsWith( or .endsWith( after resource.name`);
  };
  const c = or();
  if (i !== t.length) throw new SyntaxError(`IAM condition "${src}": unexpected ${t[i]}`);
  return c;
}

/** Whether the condition holds for a request on `resourceName`. */
export function holds(c: Condition, resourceName: string): boolean {
  switch (c.kind) {
    case 'bool':
      return c.value;
    case 'not':
      return !holds(c.item, resourceName);
    case 'and':
      return c.items.every((x) => holds(x, resourceName));
    case 'or':
      return c.items.some((x) => holds(x, resourceName));
    case 'name':
      switch (c.op) {
        case '==':
          return resourceName === c.value;
        case '!=':
          return resourceName !== c.value;
        case 'startsWith':
          return resourceName.startsWith(c.value);
        case 'endsWith':
          return resourceName.endsWith(c.value);
      }
  }
}
