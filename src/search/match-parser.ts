// The Match language of SearchMedia (reference §6), parsed into a syntax tree with positions.
// Pure: no field knowledge here (see match-check.ts), no I/O.
//
//   | exact       | Field = 'value'   (numbers unquoted OK: CateId = 123)                          |
//   | fuzzy       | Title = 'abc' or Title in ('a','b') — on fuzzy-only fields = / in mean contains |
//   | multi-value | Status in ('Normal','Checking'); VideoId in (...) ≤100 ids                      |
//   | range       | Field = ('lo','hi') open, Field = ['lo','hi'] closed, mixed brackets allowed;    |
//   |             | open-ended: ('2018-01-01T00:00:00Z',)                                           |
//   | and         | c1 and c2                                                                       |
//   | or          | must be parenthesised: (c1 or c2)                                               |
//
// Grammar (keywords case-insensitive; `and` binds tighter than `or`):
//
//   match     := ε | conj
//   conj      := unit ( 'and' unit )*
//   unit      := '(' disj ')' | condition
//   disj      := conj ( 'or' conj )*
//   condition := Field '=' literal
//              | Field '=' ( '(' | '[' ) literal? ',' literal? ( ')' | ']' )      — a range
//              | Field 'in' '(' literal ( ',' literal )* ')'
//   literal   := string | number
//
// `or` outside parentheses is refused, as the reference says. Limits keep any input cheap:
// parentheses nest at most MAX_DEPTH deep, a Match has at most MAX_CONDITIONS conditions and a
// list at most MAX_LIST_VALUES values.
import { type Token, tokenize } from './match-lexer.js';
import { MatchSyntaxError } from './match-syntax-error.js';

export const MAX_MATCH_CHARS = 65_536;
export const MAX_DEPTH = 32;
export const MAX_CONDITIONS = 256;
export const MAX_LIST_VALUES = 100;

export interface Literal {
  readonly kind: 'string' | 'number';
  /** The value: a string's content (unescaped), or a number's text. */
  readonly value: string;
  readonly pos: number;
  /** As written, quotes included. */
  readonly text: string;
}

export type MatchValue =
  | { readonly type: 'single'; readonly literal: Literal }
  | { readonly type: 'list'; readonly items: readonly Literal[]; readonly pos: number }
  | {
      readonly type: 'range';
      readonly lo: Literal | undefined;
      readonly hi: Literal | undefined;
      readonly loInclusive: boolean;
      readonly hiInclusive: boolean;
      readonly pos: number;
      readonly text: string;
    };

export interface MatchCondition {
  readonly type: 'cond';
  readonly field: string;
  readonly fieldPos: number;
  readonly op: '=' | 'in';
  readonly opPos: number;
  readonly value: MatchValue;
}

export type MatchExpr =
  | { readonly type: 'and'; readonly items: readonly MatchExpr[] }
  | { readonly type: 'or'; readonly items: readonly MatchExpr[] }
  | MatchCondition;

/** Parses a Match; an empty (or blank) Match is `undefined`: no condition. */
export function parseMatch(src: string): MatchExpr | undefined {
  if (src.length > MAX_MATCH_CHARS) throw new MatchSyntaxError(MAX_MATCH_CHARS, '', `Match may have at most ${MAX_MATCH_CHARS} characters`);
  const parser = new Parser(src, tokenize(src));
  return parser.parse();
}

class Parser {
  private i = 0;
  private depth = 0;
  private conditions = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): MatchExpr | undefined {
    if (this.peek().kind === 'eof') return undefined;
    const expr = this.conj();
    const t = this.peek();
    if (t.kind === 'or') throw this.error(t, "'or' must be inside parentheses, like (c1 or c2)");
    if (t.kind !== 'eof') throw this.error(t, `expected 'and' or the end of the Match, found ${describe(t)}`);
    return expr;
  }

  private conj(): MatchExpr {
    const items = [this.unit()];
    while (this.peek().kind === 'and') {
      this.next();
      items.push(this.unit());
    }
    return items.length === 1 ? (items[0] as MatchExpr) : { type: 'and', items };
  }

  private unit(): MatchExpr {
    const t = this.peek();
    if (t.kind === '(') {
      if (++this.depth > MAX_DEPTH) throw this.error(t, `parentheses nest at most ${MAX_DEPTH} deep`);
      this.next();
      const expr = this.disj();
      this.expect(')', "expected ')' to close the group", t);
      this.depth--;
      return expr;
    }
    if (t.kind === 'ident') return this.condition();
    throw this.error(t, `expected a field name or '(', found ${describe(t)}`);
  }

  private disj(): MatchExpr {
    const items = [this.conj()];
    while (this.peek().kind === 'or') {
      this.next();
      items.push(this.conj());
    }
    return items.length === 1 ? (items[0] as MatchExpr) : { type: 'or', items };
  }

  private condition(): MatchCondition {
    const field = this.next();
    if (++this.conditions > MAX_CONDITIONS) throw this.error(field, `a Match may have at most ${MAX_CONDITIONS} conditions`);
    const op = this.next();
    if (op.kind === '=') {
      const t = this.peek();
      const value: MatchValue = t.kind === '(' || t.kind === '[' ? this.range() : { type: 'single', literal: this.literal('a value after =') };
      return { type: 'cond', field: field.text, fieldPos: field.pos, op: '=', opPos: op.pos, value };
    }
    if (op.kind === 'in') return { type: 'cond', field: field.text, fieldPos: field.pos, op: 'in', opPos: op.pos, value: this.list() };
    throw this.error(op, `expected '=' or 'in' after the field ${field.text}, found ${describe(op)}`);
  }

  private range(): MatchValue {
    const open = this.next();
    const lo = this.peek().kind === ',' ? undefined : this.literal("the range's lower bound or ','");
    if (this.peek().kind !== ',') {
      throw this.error(this.peek(), `a range needs two bounds separated by a comma, like ('lo','hi') or ('lo',); found ${describe(this.peek())}`);
    }
    this.next();
    const closeKind = this.peek().kind;
    const hi = closeKind === ')' || closeKind === ']' ? undefined : this.literal("the range's upper bound, ')' or ']'");
    const close = this.next();
    if (close.kind !== ')' && close.kind !== ']') throw this.error(close, `expected ')' or ']' to close the range, found ${describe(close)}`);
    const text = this.src.slice(open.pos, close.pos + 1);
    if (lo === undefined && hi === undefined) throw this.error(open, 'a range needs at least one bound', text);
    return { type: 'range', lo, hi, loInclusive: open.kind === '[', hiInclusive: close.kind === ']', pos: open.pos, text };
  }

  private list(): MatchValue {
    const open = this.expect('(', "expected '(' after 'in', like in ('a','b')");
    const items = [this.literal("a value (a list can't be empty)")];
    while (this.peek().kind === ',') {
      this.next();
      items.push(this.literal("a value after ','"));
      if (items.length > MAX_LIST_VALUES) throw this.error(items[items.length - 1] as Literal, `in (…) takes at most ${MAX_LIST_VALUES} values`);
    }
    this.expect(')', "expected ',' or ')' in the list", open);
    return { type: 'list', items, pos: open.pos };
  }

  private literal(what: string): Literal {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'string', value: t.value, pos: t.pos, text: t.text };
    if (t.kind === 'number') return { kind: 'number', value: t.text, pos: t.pos, text: t.text };
    if (t.kind === 'ident') throw this.error(t, `expected ${what}; quote text values, like '${t.text}'`);
    throw this.error(t, `expected ${what}, found ${describe(t)}`);
  }

  private expect(kind: Token['kind'], why: string, opener?: Token | Literal): Token {
    const t = this.next();
    if (t.kind !== kind) {
      const at = opener === undefined ? '' : ` (opened at position ${opener.pos + 1})`;
      throw this.error(t, `${why}${at}; found ${describe(t)}`);
    }
    return t;
  }

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const t = this.tokens[this.i] as Token;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private error(at: Token | Literal, reason: string, part?: string): MatchSyntaxError {
    return new MatchSyntaxError(at.pos, part ?? at.text, reason);
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'the end of the Match';
    case 'string': return `the value ${t.text.length > 30 ? `${t.text.slice(0, 30)}…` : t.text}`;
    case 'number': return `the number ${t.text}`;
    case 'ident': return `the word ${t.text}`;
    case 'and': case 'or': case 'in': return `'${t.text}'`;
    default: return `'${t.text}'`;
  }
}
