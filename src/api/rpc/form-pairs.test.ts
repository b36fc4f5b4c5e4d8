import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePairs, parsePairsInto } from './form-pairs.js';

const reference = (text: string): Array<[string, string]> => [...new URLSearchParams(text)];

test('decodes like URLSearchParams: + and %20, repeats, empties, bare names, = in values', () => {
  for (const text of [
    '', '&', '&&a=1&&', 'a', 'a=', '=b', '=', 'a=1&a=2', 'Title=plus+and%20space', 'Description=a%2Bb', 'x=a=b=c',
    'Timestamp=2017-10-10T12%3A02%3A54Z&Signature=Ibgh7y8Vp47LBuAsf5Xhi1SvDss%3D', 'k%20ey=v', 'a=%E8%A7%86%E9%A2%91',
  ]) {
    assert.deepEqual(parsePairs(text), reference(text), JSON.stringify(text));
    const into = new Map<string, string>([['a', 'before']]);
    parsePairsInto(into, text);
    assert.deepEqual(into, new Map([['a', 'before'], ...reference(text)]), JSON.stringify(text));
  }
});

test('malformed input decodes like URLSearchParams: bad %XX kept, bad UTF-8 replaced, non-ASCII kept', () => {
  for (const text of [
    'a=%', 'a=%2', 'a=%zz', 'a=100%', 'a=%%41', 'a=%C3', 'a=%C3%28', 'a=%ED%A0%80', 'a=%F0%9F%98', 'a=%FF+%41', 'é=ü+%41', 'a=\uD800', 'a=x\uDC00%41',
  ]) {
    assert.deepEqual(parsePairs(text), reference(text), JSON.stringify(text));
  }
});

test('random strings over a hostile alphabet decode like URLSearchParams', () => {
  const alphabet = ['a', 'Z', '0', '%', '%2', '%41', '%C3', '%A9', '%E8', '%ED', '%FF', '+', '=', '&', ' ', 'é', '\uD83D', '\uDE00', '~', '*'];
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const length = random(16);
    for (let j = 0; j < length; j++) text += alphabet[random(alphabet.length)];
    assert.deepEqual(parsePairs(text), reference(text), JSON.stringify(text));
  }
});
