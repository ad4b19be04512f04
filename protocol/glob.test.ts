// protocol/glob.test.ts: globMatch against known stringmatchlen answers and against a
// line-by-line recursive transliteration of Redis's stringmatchlen_impl (src/util.c).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOB_STAR_NESTING_MAX, globMatch, isMatchAllPattern } from './glob.js';

function match(pattern: string, subject: string, nocase = false): boolean {
  return globMatch(Buffer.from(pattern, 'latin1'), Buffer.from(subject, 'latin1'), nocase);
}

/** Redis's recursive stringmatchlen_impl, pointer for pointer; reads past the end give NUL. */
function redisStringMatch(pattern: Uint8Array, subject: Uint8Array, nocase: boolean): boolean {
  const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
  const signed = (c: number): number => (c << 24) >> 24;
  const skipLongerMatches = { value: false };
  const impl = (p0: number, patternLength0: number, s0: number, stringLength0: number, nesting: number): boolean => {
    let p = p0;
    let patternLength = patternLength0;
    let s = s0;
    let stringLength = stringLength0;
    const pat = (i: number): number => (i < pattern.length ? pattern[i]! : 0);
    if (nesting > 1000) return false;
    while (patternLength > 0 && stringLength > 0) {
      switch (pat(p)) {
        case 0x2a: {
          while (patternLength > 0 && pat(p + 1) === 0x2a) {
            p++;
            patternLength--;
          }
          if (patternLength === 1) return true;
          while (stringLength > 0) {
            if (impl(p + 1, patternLength - 1, s, stringLength, nesting + 1)) return true;
            if (skipLongerMatches.value) return false;
            s++;
            stringLength--;
          }
          skipLongerMatches.value = true;
          return false;
        }
        case 0x3f:
          s++;
          stringLength--;
          break;
        case 0x5b: {
          p++;
          patternLength--;
          const not = pat(p) === 0x5e;
          if (not) {
            p++;
            patternLength--;
          }
          let found = false;
          for (;;) {
            if (pat(p) === 0x5c && patternLength >= 2) {
              p++;
              patternLength--;
              if (pat(p) === subject[s]) found = true;
            } else if (pat(p) === 0x5d) {
              break;
            } else if (patternLength === 0) {
              p--;
              patternLength++;
              break;
            } else if (patternLength >= 3 && pat(p + 1) === 0x2d) {
              let start = signed(pat(p));
              let end = signed(pat(p + 2));
              let c = signed(subject[s]!);
              if (start > end) [start, end] = [end, start];
              if (nocase) {
                start = lower(start);
                end = lower(end);
                c = lower(c);
              }
              p += 2;
              patternLength -= 2;
              if (c >= start && c <= end) found = true;
            } else if (nocase ? lower(pat(p)) === lower(subject[s]!) : pat(p) === subject[s]) {
              found = true;
            }
            p++;
            patternLength--;
          }
          if (not) found = !found;
          if (!found) return false;
          s++;
          stringLength--;
          break;
        }
        default: {
          if (pat(p) === 0x5c && patternLength >= 2) {
            p++;
            patternLength--;
          }
          if (nocase ? lower(pat(p)) !== lower(subject[s]!) : pat(p) !== subject[s]) return false;
          s++;
          stringLength--;
        }
      }
      p++;
      patternLength--;
      if (stringLength === 0) {
        while (pat(p) === 0x2a) {
          p++;
          patternLength--;
        }
        break;
      }
    }
    return patternLength === 0 && stringLength === 0;
  };
  return impl(0, pattern.length, 0, subject.length, 0);
}

describe('globMatch known answers', () => {
  it('matches * ? and literals', () => {
    expect(match('h?llo', 'hello')).toBe(true);
    expect(match('h?llo', 'hllo')).toBe(false);
    expect(match('h*llo', 'hllo')).toBe(true);
    expect(match('h*llo', 'heeeello')).toBe(true);
    expect(match('*world*', 'hello world again')).toBe(true);
    expect(match('a*b*c', 'abbbbbc')).toBe(true);
    expect(match('a*b*c', 'abbbbbcd')).toBe(false);
    expect(match('foo*', 'foo')).toBe(true);
    expect(match('foo**', 'foo')).toBe(true);
    expect(match('', '')).toBe(true);
    expect(match('', 'a')).toBe(false);
  });

  it('does not match the empty subject with *, which KEYS and SCAN special-case', () => {
    expect(match('*', '')).toBe(false);
    expect(match('*', 'anything')).toBe(true);
    expect(isMatchAllPattern(Buffer.from('*'))).toBe(true);
    expect(isMatchAllPattern(Buffer.from('**'))).toBe(false);
  });

  it('matches classes, negated classes and ranges in either order', () => {
    expect(match('h[ae]llo', 'hello')).toBe(true);
    expect(match('h[ae]llo', 'hillo')).toBe(false);
    expect(match('h[^e]llo', 'hallo')).toBe(true);
    expect(match('h[^e]llo', 'hello')).toBe(false);
    expect(match('h[a-b]llo', 'hbllo')).toBe(true);
    expect(match('[z-a]', 'm')).toBe(true);
    expect(match('[a-z]', 'A')).toBe(false);
    expect(match('[a-]', '-')).toBe(false); // the range a to ']': the class runs to the end
    expect(match('[a-]', ']')).toBe(true);
    expect(match('[]]', ']')).toBe(false);
    expect(match('[\\]]', ']')).toBe(true);
  });

  it('closes an unclosed class at the end of the pattern', () => {
    expect(match('[abc', 'c')).toBe(true);
    expect(match('[abc', 'd')).toBe(false);
    expect(match('a[', 'ab')).toBe(false);
    expect(match('[^', 'x')).toBe(true);
  });

  it('treats a backslash as an escape, and a trailing one as itself', () => {
    expect(match('a\\*b', 'a*b')).toBe(true);
    expect(match('a\\*b', 'axb')).toBe(false);
    expect(match('a\\?', 'a?')).toBe(true);
    expect(match('a\\', 'a\\')).toBe(true);
    expect(match('\\[a]', '[a]')).toBe(true);
  });

  it('ignores case for letters and ranges with nocase, but not for escapes in a class', () => {
    expect(match('HELLO', 'hello', true)).toBe(true);
    expect(match('h[A-Z]llo', 'hello', true)).toBe(true);
    expect(match('[\\A]', 'a', true)).toBe(false);
    expect(match('HELLO', 'hello')).toBe(false);
  });

  it('compares range bounds as signed chars, as Redis on x86-64', () => {
    expect(globMatch(Buffer.from('[a-\xff]', 'latin1'), Buffer.from([0xc0]))).toBe(false);
    expect(globMatch(Buffer.from('[a-\xff]', 'latin1'), Buffer.from('5'))).toBe(true);
    expect(globMatch(Buffer.from('[\x80-\xff]', 'latin1'), Buffer.from([0xc0]))).toBe(true);
  });

  it('answers the long nested loop regressions quickly', () => {
    const started = Date.now();
    expect(match(`${'a*'.repeat(40)}b`, 'a'.repeat(200))).toBe(false);
    expect(match('*?'.repeat(50_000), 'a'.repeat(50_000))).toBe(false);
    expect(match(`${'*a'.repeat(500)}*`, 'a'.repeat(50_000))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it(`gives up past ${GLOB_STAR_NESTING_MAX} nested stars, as Redis 7.2 does`, () => {
    const subject = 'a'.repeat(GLOB_STAR_NESTING_MAX + 2);
    expect(match(`${'a*'.repeat(GLOB_STAR_NESTING_MAX)}a`, subject)).toBe(true);
    expect(match(`${'a*'.repeat(GLOB_STAR_NESTING_MAX + 1)}a`, subject)).toBe(false);
    expect(match(`${'a*'.repeat(GLOB_STAR_NESTING_MAX + 1)}`, subject)).toBe(true);
  });
});

describe('globMatch against Redis stringmatchlen', () => {
  const patternByte = fc.constantFrom(...Buffer.from('ab*?[]^-\\A\x00\xe9'));
  const subjectByte = fc.constantFrom(...Buffer.from('ab*?[]^-\\A\x00\xe9B'));

  it('gives the answer of a transliteration of the C code on random bytes', () => {
    fc.assert(
      fc.property(fc.array(patternByte, { maxLength: 12 }), fc.array(subjectByte, { maxLength: 12 }), fc.boolean(), (pattern, subject, nocase) => {
        const patternBytes = Uint8Array.from(pattern);
        const subjectBytes = Uint8Array.from(subject);
        expect(globMatch(patternBytes, subjectBytes, nocase)).toBe(redisStringMatch(patternBytes, subjectBytes, nocase));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives the same answers as the C code on fully random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), fc.uint8Array({ maxLength: 10 }), fc.boolean(), (pattern, subject, nocase) => {
        expect(globMatch(pattern, subject, nocase)).toBe(redisStringMatch(pattern, subject, nocase));
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees with the C code where stars exceed the nesting limit', () => {
    const subject = Buffer.from('a'.repeat(1010));
    for (const stars of [999, 1000, 1001]) {
      const pattern = Buffer.from(`${'a*'.repeat(stars)}a`);
      expect(globMatch(pattern, subject)).toBe(redisStringMatch(pattern, subject, false));
    }
  });
});
