// Tokens of the Match language (SearchMedia, reference §6):
//
//   "string values in single quotes; ASCII = ' \" ( ) only; whole Match must be URL-encoded"
//
// - Strings are quoted with ' (or ", equivalently). Inside, the quote is written doubled (`'it''s'`)
//   or backslashed (`'it\'s'`); `\\` is one backslash; any other backslash is kept as it is, so
//   `'C:\videos'` needs no escaping. A NUL character is refused (no database stores it in text).
// - Numbers may stand unquoted: `123`, `-4`, `12.5` (no exponents).
// - Keywords `and`, `or`, `in` are case-insensitive; so are field names (checked later).
// - Full-width look-alikes (＝ （ ） ‘ ’ “ ” ，) are refused with a hint: only ASCII operators count.
import { MatchSyntaxError } from './match-syntax-error.js';

export type PunctKind = '(' | ')' | '[' | ']' | ',' | '=';
export type Token =
  | { readonly kind: PunctKind | 'and' | 'or' | 'in' | 'eof'; readonly pos: number; readonly text: string }
  | { readonly kind: 'ident'; readonly pos: number; readonly text: string }
  | { readonly kind: 'string'; readonly pos: number; readonly text: string; readonly value: string }
  | { readonly kind: 'number'; readonly pos: number; readonly text: string; readonly value: number };

/** Longest value a string literal may have (Description, the longest field, is ≤1,024 bytes). */
export const MAX_STRING_CHARS = 1024;

const PUNCT = new Set<string>(['(', ')', '[', ']', ',', '=']);
const KEYWORDS = new Map<string, 'and' | 'or' | 'in'>([['and', 'and'], ['or', 'or'], ['in', 'in']]);
const FULL_WIDTH = new Set(['＝', '（', '）', '［', '］', '‘', '’', '“', '”', '，', '　']);
const WHITESPACE = /[ \t\r\n\f\v]/;
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (WHITESPACE.test(c)) {
      i++;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: c as PunctKind, pos: i, text: c });
      i++;
    } else if (c === "'" || c === '"') {
      const t = readString(src, i);
      tokens.push(t);
      i += t.text.length;
    } else if (DIGIT.test(c) || (c === '-' && DIGIT.test(src[i + 1] ?? ''))) {
      const t = readNumber(src, i);
      tokens.push(t);
      i += t.text.length;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j] as string)) j++;
      const text = src.slice(i, j);
      tokens.push({ kind: KEYWORDS.get(text.toLowerCase()) ?? 'ident', pos: i, text });
      i = j;
    } else {
      const ch = String.fromCodePoint(src.codePointAt(i) as number);
      const hint = FULL_WIDTH.has(ch)
        ? `full-width "${ch}" is not an operator; use the ASCII characters = ' " ( ) [ ] ,`
        : `unexpected character ${JSON.stringify(ch)}`;
      throw new MatchSyntaxError(i, ch, hint);
    }
  }
  tokens.push({ kind: 'eof', pos: src.length, text: '' });
  return tokens;
}

function readString(src: string, start: number): Token {
  const quote = src[start] as string;
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length) throw new MatchSyntaxError(start, src.slice(start, start + 20), `unterminated string: no closing ${quote}`);
    const c = src[i] as string;
    if (c === '\\' && (src[i + 1] === quote || src[i + 1] === '\\')) {
      value += src[i + 1];
      i += 2;
    } else if (c === quote) {
      if (src[i + 1] !== quote) break;
      value += quote;
      i += 2;
    } else if (c === '\0') {
      throw new MatchSyntaxError(i, '\\0', 'a NUL character is not allowed in a value');
    } else {
      value += c;
      i++;
    }
    if (value.length > MAX_STRING_CHARS) throw new MatchSyntaxError(start, src.slice(start, start + 20), `a value may have at most ${MAX_STRING_CHARS} characters`);
  }
  return { kind: 'string', pos: start, text: src.slice(start, i + 1), value };
}

function readNumber(src: string, start: number): Token {
  const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(start, start + 64)) as RegExpExecArray;
  const text = m[0];
  const next = src[start + text.length] ?? '';
  if (IDENT_PART.test(next) || next === '.' || next === '-') {
    const bad = /^[-0-9A-Za-z_.]+/.exec(src.slice(start, start + 64))?.[0] ?? text;
    throw new MatchSyntaxError(start, bad, 'malformed number (numbers look like 123 or 12.5; quote anything else)');
  }
  return { kind: 'number', pos: start, text, value: Number(text) };
}
