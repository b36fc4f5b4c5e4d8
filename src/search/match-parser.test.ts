import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../domain/errors.js';
import { type Literal, MAX_CONDITIONS, MAX_DEPTH, MAX_LIST_VALUES, type MatchExpr, parseMatch } from './match-parser.js';
import { MatchSyntaxError } from './match-syntax-error.js';

/** A compact rendering of the tree: `Field=v`, `Field in [a|b]`, `Field=(lo,hi]`, `and(…)`, `or(…)`. */
function show(e: MatchExpr | undefined): string {
  if (e === undefined) return '∅';
  if (e.type === 'and' || e.type === 'or') return `${e.type}(${e.items.map(show).join(', ')})`;
  const lit = (l: Literal | undefined) => (l === undefined ? '' : l.kind === 'number' ? `#${l.value}` : l.value);
  const v = e.value;
  if (v.type === 'single') return `${e.field}${e.op}${lit(v.literal)}`;
  if (v.type === 'list') return `${e.field} ${e.op} [${v.items.map(lit).join('|')}]`;
  return `${e.field}${e.op}${v.loInclusive ? '[' : '('}${lit(v.lo)},${lit(v.hi)}${v.hiInclusive ? ']' : ')'}`;
}

const parsed = (src: string) => show(parseMatch(src));

function syntaxError(src: string, position: number, part: string | RegExp, reason: RegExp): void {
  assert.throws(() => parseMatch(src), (err: unknown) => {
    assert.ok(err instanceof MatchSyntaxError, String(err));
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'ErrorMatchSyntax');
    assert.equal(err.httpStatus, 400);
    assert.equal(err.position, position, `position in ${err.message}`);
    if (typeof part === 'string') assert.equal(err.part, part);
    else assert.match(err.part, part);
    assert.match(err.reason, reason);
    assert.match(err.message, new RegExp(`position ${position}\\b`));
    return true;
  });
}

describe('Match parser: constructs', () => {
  test('empty or blank Match means no condition', () => {
    assert.equal(parsed(''), '∅');
    assert.equal(parsed('  \t\n'), '∅');
  });

  test('exact, with a quoted value or an unquoted number', () => {
    assert.equal(parsed("VideoId = 'abc'"), 'VideoId=abc');
    assert.equal(parsed('CateId = 123'), 'CateId=#123');
    assert.equal(parsed('CateId=-7'), 'CateId=#-7');
    assert.equal(parsed('Duration=12.5'), 'Duration=#12.5');
    assert.equal(parsed("CateId = '123'"), 'CateId=123');
  });

  test('fuzzy fields parse like any other (meaning comes later)', () => {
    assert.equal(parsed("Title = 'abc'"), 'Title=abc');
    assert.equal(parsed("Title in ('a','b')"), 'Title in [a|b]');
  });

  test('multi-value in (…)', () => {
    assert.equal(parsed("Status in ('Normal','Checking')"), 'Status in [Normal|Checking]');
    assert.equal(parsed("Status in('Normal')"), 'Status in [Normal]');
    assert.equal(parsed('CateId in (1, 2 ,3)'), 'CateId in [#1|#2|#3]');
  });

  test('ranges: open, closed, mixed and open-ended', () => {
    assert.equal(parsed("CreationTime = ('a','b')"), 'CreationTime=(a,b)');
    assert.equal(parsed("CreationTime = ['a','b']"), 'CreationTime=[a,b]');
    assert.equal(parsed("CreationTime = ('a','b']"), 'CreationTime=(a,b]');
    assert.equal(parsed("CreationTime = ['a','b')"), 'CreationTime=[a,b)');
    assert.equal(parsed("CreationTime = ('2018-01-01T00:00:00Z',)"), 'CreationTime=(2018-01-01T00:00:00Z,)');
    assert.equal(parsed("CreationTime = (,'b']"), 'CreationTime=(,b]');
    assert.equal(parsed('Size = [100,)'), 'Size=[#100,)');
    assert.equal(parsed('Size=(,5.5]'), 'Size=(,#5.5]');
  });

  test('and chains; or only inside parentheses; and binds tighter than or; nesting', () => {
    assert.equal(parsed("Title = 'a' and Status = 'Normal' and CateId = 1"), 'and(Title=a, Status=Normal, CateId=#1)');
    assert.equal(parsed("(Title = 'a' or Title = 'b')"), 'or(Title=a, Title=b)');
    assert.equal(parsed("(Title = 'a' or Title = 'b' and CateId = 1)"), 'or(Title=a, and(Title=b, CateId=#1))');
    assert.equal(
      parsed("Status = 'Normal' and ((Title = 'a' and CateId = 1) or (Tags = 'x' or Description = 'y')) and Size = [1,)"),
      'and(Status=Normal, or(and(Title=a, CateId=#1), or(Tags=x, Description=y)), Size=[#1,))',
    );
    assert.equal(parsed("((Title = 'a'))"), 'Title=a');
  });

  test('keywords are case-insensitive', () => {
    assert.equal(parsed("(Title = 'a' OR Title = 'b') AND Status IN ('Normal')"), 'and(or(Title=a, Title=b), Status in [Normal])');
    assert.equal(parsed("(Title = 'a' Or Title = 'b') aNd Status iN ('Normal')"), 'and(or(Title=a, Title=b), Status in [Normal])');
  });

  test('strings: doubled or backslashed quotes, \\\\, other backslashes literal, double quotes', () => {
    assert.equal(parsed("Title = 'it''s'"), "Title=it's");
    assert.equal(parsed("Title = 'it\\'s'"), "Title=it's");
    assert.equal(parsed("Title = 'a\\\\'"), 'Title=a\\');
    assert.equal(parsed("Title = 'C:\\videos\\new'"), 'Title=C:\\videos\\new');
    assert.equal(parsed("Title = ''"), 'Title=');
    assert.equal(parsed("Title in ('','''')"), "Title in [|']");
    assert.equal(parsed('Title = "say ""hi"" \\" and \'x\'"'), 'Title=say "hi" " and \'x\'');
    assert.equal(parsed("Title = '(a = b, c) and or in [x]'"), 'Title=(a = b, c) and or in [x]');
    assert.equal(parsed("Title = '中文 标题 ✓'"), 'Title=中文 标题 ✓');
  });

  test('whitespace anywhere between tokens', () => {
    assert.equal(parsed("\n Title\t=\r\n'a'\tand(Status\nin('x'))  "), 'and(Title=a, Status in [x])');
  });
});

describe('Match parser: every error is ErrorMatchSyntax naming the bad part and its position', () => {
  test('unterminated string', () => syntaxError("Title = 'abc", 9, "'abc", /unterminated string/));
  test('unexpected character', () => syntaxError("Title = 'a' & CateId = 1", 13, '&', /unexpected character/));
  test('full-width operators get a hint', () => syntaxError("Title ＝ 'a'", 7, '＝', /full-width/));
  test('or outside parentheses', () => syntaxError("Title = 'a' or Title = 'b'", 13, 'or', /inside parentheses/));
  test('missing closing parenthesis', () => syntaxError("(Title = 'a' or Title = 'b'", 28, '', /expected '\)' to close the group \(opened at position 1\)/));
  test('unbalanced closing parenthesis', () => syntaxError("Title = 'a')", 12, ')', /expected 'and' or the end/));
  test('empty list', () => syntaxError('Status in ()', 12, ')', /can't be empty/));
  test('trailing comma in a list', () => syntaxError("Status in ('a',)", 16, ')', /a value after ','/));
  test('list without parentheses', () => syntaxError("Status in 'a'", 11, "'a'", /expected '\(' after 'in'/));
  test('range with one value and no comma', () => syntaxError("CreationTime = ('a')", 20, ')', /two bounds separated by a comma/));
  test('range without any bound', () => syntaxError('Size = (,)', 8, '(,)', /at least one bound/));
  test('range with three values', () => syntaxError('Size = (1,2,3)', 12, ',', /expected '\)' or '\]'/));
  test('unquoted word as a value', () => syntaxError('Status = Normal', 10, 'Normal', /quote text values, like 'Normal'/));
  test('== is not an operator', () => syntaxError("Title == 'a'", 8, '=', /expected a value after =/));
  test('missing operator', () => syntaxError("Title 'a'", 7, "'a'", /expected '=' or 'in' after the field Title/));
  test('missing value at the end', () => syntaxError('Title =', 8, '', /expected a value after =, found the end/));
  test('dangling and', () => syntaxError("Title = 'a' and", 16, '', /expected a field name or '\('/));
  test('condition starting with a value', () => syntaxError("'a' = Title", 1, "'a'", /expected a field name/));
  test('malformed number', () => syntaxError('CateId = 12abc', 10, '12abc', /malformed number/));
  test('number with two dots', () => syntaxError('Size = [1.2.3,)', 9, '1.2.3', /malformed number/));
  test('NUL inside a value', () => syntaxError("Title = 'a\0b'", 11, '\\0', /NUL/));
  test('value too long', () => syntaxError(`Title = '${'x'.repeat(2000)}'`, 9, /^'x+$/, /at most 1024 characters/));
  test('parentheses nested too deep', () => {
    const depth = MAX_DEPTH + 1;
    syntaxError(`${'('.repeat(depth)}Title = 'a'${')'.repeat(depth)}`, depth, '(', /nest at most/);
    assert.doesNotThrow(() => parseMatch(`${'('.repeat(MAX_DEPTH)}Title = 'a'${')'.repeat(MAX_DEPTH)}`));
  });
  test('too many conditions', () => {
    const many = Array.from({ length: MAX_CONDITIONS + 1 }, () => 'CateId = 1').join(' and ');
    syntaxError(many, MAX_CONDITIONS * 'CateId = 1 and '.length + 1, 'CateId', /at most 256 conditions/);
  });
  test('list too long', () => {
    const ids = Array.from({ length: MAX_LIST_VALUES + 1 }, (_, i) => `'${i}'`).join(',');
    assert.throws(() => parseMatch(`VideoId in (${ids})`), (e: unknown) => e instanceof MatchSyntaxError && /at most 100 values/.test(e.message));
    assert.doesNotThrow(() => parseMatch(`VideoId in (${Array.from({ length: MAX_LIST_VALUES }, (_, i) => `'${i}'`).join(',')})`));
  });
  test('the message quotes the bad part', () => {
    assert.throws(() => parseMatch("Title = 'a' or Title = 'b'"), { message: `Match error at position 13 ("or"): 'or' must be inside parentheses, like (c1 or c2)` });
  });
});
