// protocol/inline-split.test.ts: splitInlineArgs against sdssplitargs's rules (src/sds.c).
import { describe, expect, it } from 'vitest';
import { splitInlineArgs } from './inline-split.js';

function split(line: string): string[] | null {
  const args = splitInlineArgs(Buffer.from(line, 'latin1'));
  return args === null ? null : args.map((arg) => arg.toString('latin1'));
}

describe('splitInlineArgs', () => {
  it('splits on blanks and returns no arguments for a blank line', () => {
    expect(split('SET  key\tvalue ')).toEqual(['SET', 'key', 'value']);
    expect(split('')).toEqual([]);
    expect(split(' \t\r\n\v\f')).toEqual([]);
  });

  it("parses sdssplitargs's own example with \\x escapes", () => {
    expect(split('foo bar "newline are supported\\n" and "\\xff\\x00otherstuff"')).toEqual([
      'foo',
      'bar',
      'newline are supported\n',
      'and',
      '\xff\x00otherstuff',
    ]);
  });

  it('decodes \\x41 and the control escapes inside double quotes', () => {
    expect(split('"\\x41\\x4a\\x4A"')).toEqual(['AJJ']);
    expect(split('"\\n\\r\\t\\b\\a"')).toEqual(['\n\r\t\b\x07']);
  });

  it('keeps the byte after any other backslash inside double quotes', () => {
    expect(split('"\\\\ \\" \\q"')).toEqual(['\\ " q']);
    expect(split('"\\x4"')).toEqual(['x4']);
    expect(split('"\\xZZ"')).toEqual(['xZZ']);
  });

  it("treats only \\' as an escape inside single quotes", () => {
    expect(split("'it\\'s' 'a\\nb' 'c\"d'")).toEqual(["it's", 'a\\nb', 'c"d']);
  });

  it('keeps empty quoted arguments', () => {
    expect(split('set k ""')).toEqual(['set', 'k', '']);
    expect(split("set k ''")).toEqual(['set', 'k', '']);
  });

  it('joins a quoted part to the unquoted bytes before it', () => {
    expect(split('foo"bar baz" x')).toEqual(['foobar baz', 'x']);
  });

  it('fails on a closing quote followed by anything but a blank or the end', () => {
    expect(split('"foo"bar')).toBeNull();
    expect(split("'foo'bar")).toBeNull();
    expect(split('"foo""bar"')).toBeNull();
    expect(split('"foo"\vbar')).toEqual(['foo', 'bar']);
  });

  it('fails on quotes never closed', () => {
    expect(split('"foo')).toBeNull();
    expect(split("'foo")).toBeNull();
    expect(split('"foo\\"')).toBeNull();
    expect(split('"foo\\')).toBeNull();
  });

  it('keeps \\v and \\f inside an unquoted argument but skips them between arguments', () => {
    expect(split('a\vb \fc')).toEqual(['a\vb', 'c']);
  });

  it('stops at a NUL byte as at the end of a C string', () => {
    expect(split('GET a\x00b c')).toEqual(['GET', 'a']);
    expect(split('"a\x00b"')).toBeNull();
  });

  it('returns unquoted arguments as subarrays of the line', () => {
    const line = Buffer.from('GET key "x"');
    const args = splitInlineArgs(line);
    expect(args?.[0]?.buffer).toBe(line.buffer);
    expect(args?.[1]?.buffer).toBe(line.buffer);
    expect(args?.[2]?.toString()).toBe('x');
    expect(line.toString()).toBe('GET key "x"');
  });
});
