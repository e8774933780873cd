/**
 * Precedence-climbing parser for Workflows expressions. Precedence, loosest first:
 * `or` < `and` < `not` < comparisons and `in` < `+ -` < `* / // %` < unary `-` < `.`, `[]`, calls.
 * Calls are allowed on dotted names only (`text.split(...)`), as in Workflows.
 */
import { ExpressionSyntaxError } from '../errors.js';
import { dottedName, type BinaryOperator, type Expr } from './ast.js';
import { tokenize, type Token } from './tokens.js';

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=', 'in']);
const ADDITIVE = new Set(['+', '-']);
const MULTIPLICATIVE = new Set(['*', '/', '//', '%']);

export function parseExpression(source: string): Expr {
  const parser = new Parser(tokenize(source));
  const expr = parser.parseOr();
  parser.expectEnd();
  return expr;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'op' || t.kind === 'keyword') && t.text === text;
  }

  private expect(text: string): Token {
    if (!this.isOp(text)) this.fail(`expected '${text}'`);
    return this.next();
  }

  private fail(message: string): never {
    const t = this.peek();
    throw new ExpressionSyntaxError(
      `${message} but found ${t.kind === 'eof' ? 'end of expression' : `'${t.text}'`}`,
      t.offset,
    );
  }

  expectEnd(): void {
    if (this.peek().kind !== 'eof') this.fail('expected end of expression');
  }

  parseOr(): Expr {
    return this.binaryLevel(new Set(['or']), () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.binaryLevel(new Set(['and']), () => this.parseNot());
  }

  private parseNot(): Expr {
    if (this.isOp('not')) {
      this.next();
      return { kind: 'unary', op: 'not', operand: this.parseNot() };
    }
    return this.binaryLevel(COMPARISONS, () =>
      this.binaryLevel(ADDITIVE, () => this.binaryLevel(MULTIPLICATIVE, () => this.parseUnary())),
    );
  }

  private binaryLevel(ops: Set<string>, operand: () => Expr): Expr {
    let left = operand();
    for (let t = this.peek(); (t.kind === 'op' || t.kind === 'keyword') && ops.has(t.text); t = this.peek()) {
      this.next();
      left = { kind: 'binary', op: t.text as BinaryOperator, left, right: operand() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return { kind: 'unary', op: '-', operand: this.parseUnary() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(start: Expr): Expr {
    let expr = start;
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'ident' && name.kind !== 'keyword') this.fail('expected a name after "."');
        expr = { kind: 'member', object: expr, name: name.text };
      } else if (this.isOp('[')) {
        this.next();
        const index = this.parseOr();
        this.expect(']');
        expr = { kind: 'index', object: expr, index };
      } else if (this.isOp('(')) {
        expr = this.parseCall(expr);
      } else {
        return expr;
      }
    }
  }

  private parseCall(callee: Expr): Expr {
    const offset = this.next().offset;
    const name = dottedName(callee);
    if (name === undefined) throw new ExpressionSyntaxError('only named functions can be called', offset);
    const args = this.parseSequence(')', () => this.parseOr());
    return { kind: 'call', name, args, offset };
  }

  private parseSequence<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    while (!this.isOp(close)) {
      items.push(item());
      if (!this.isOp(close)) this.expect(',');
    }
    this.next();
    return items;
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: t.value! };
      case 'ident':
        return { kind: 'var', name: t.text, offset: t.offset };
      case 'keyword':
        return this.keywordLiteral(t);
      case 'op':
        return this.bracketed(t);
      case 'eof':
        this.pos--;
        return this.fail('expected a value');
    }
  }

  private keywordLiteral(t: Token): Expr {
    if (t.text === 'null') return { kind: 'literal', value: null };
    if (t.text === 'true' || t.text === 'True') return { kind: 'literal', value: true };
    if (t.text === 'false' || t.text === 'False') return { kind: 'literal', value: false };
    this.pos--;
    return this.fail('expected a value');
  }

  private bracketed(t: Token): Expr {
    if (t.text === '(') {
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    if (t.text === '[') return { kind: 'list', items: this.parseSequence(']', () => this.parseOr()) };
    if (t.text === '{') return { kind: 'map', entries: this.parseSequence('}', () => this.mapEntry()) };
    this.pos--;
    return this.fail('expected a value');
  }

  private mapEntry(): { key: string; value: Expr } {
    const key = this.next();
    if (key.kind !== 'string') {
      this.pos--;
      this.fail('expected a string key');
    }
    this.expect(':');
    return { key: key.value as string, value: this.parseOr() };
  }
}
