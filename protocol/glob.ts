// protocol/glob.ts: Redis's glob matcher (stringmatchlen in src/util.c, Redis 7.2+) on bytes,
// as KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use it.
//   *  any run of bytes        ?  one byte            \x  the byte x
//   [abc] [^abc] [a-z] [z-a]  one byte in (not in) the set; \x inside a class is x
// Quirks kept on purpose, so answers equal Redis's on x86-64:
// - An empty subject matches only an empty pattern: "*" does not match "". KEYS and SCAN skip
//   the matcher for a pattern of exactly "*" (see isMatchAllPattern), so they still list "".
// - Past the pattern's end reads as NUL, as in the C string: an unclosed '[' closes at the end,
//   and a trailing lone '\' is a literal backslash.
// - Range bounds and the subject byte compare as signed chars ([a-\xff] is [\xff-a]: bytes
//   0x80 and up fall outside it); nocase lowers only A-Z, and not for \x inside a class.
// - Redis recurses once per '*' and gives up (no match) past 1000 levels; here the 1001st '*'
//   that still has pattern after it means no match, with the same answers.
// Invariants: no recursion (one backtrack point: the last '*'); time is O(pattern x subject),
// memory O(1). Redis's skipLongerMatches is what makes one backtrack point enough: once the
// pattern after the last '*' fails from every position, an earlier '*' can't help.

export const GLOB_STAR_NESTING_MAX = 1000;

const BYTE = { nul: 0x00, star: 0x2a, question: 0x3f, open: 0x5b, close: 0x5d, caret: 0x5e, backslash: 0x5c, dash: 0x2d } as const;

/** Redis's KEYS and SCAN treat a pattern of exactly "*" as "everything" without matching. */
export function isMatchAllPattern(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === BYTE.star;
}

function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}

function signed(byte: number): number {
  return (byte << 24) >> 24;
}

export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  const patternLength = pattern.length;
  const subjectLength = subject.length;
  const at = (index: number): number => (index < patternLength ? pattern[index]! : BYTE.nul);
  let patternIndex = 0;
  let subjectIndex = 0;
  let starIndex = -1; // the last '*' met: the only backtrack point
  let starSubjectIndex = 0;
  let starCount = 0;
  for (;;) {
    let matched = true;
    while (patternIndex < patternLength && subjectIndex < subjectLength) {
      const byte = pattern[patternIndex]!;
      if (byte === BYTE.star) {
        while (patternIndex + 1 < patternLength && pattern[patternIndex + 1] === BYTE.star) patternIndex++;
        if (patternIndex + 1 === patternLength) return true;
        starCount++;
        if (starCount > GLOB_STAR_NESTING_MAX) return false;
        starIndex = patternIndex;
        starSubjectIndex = subjectIndex;
        patternIndex++;
        continue;
      }
      if (byte === BYTE.question) {
        subjectIndex++;
      } else if (byte === BYTE.open) {
        const end = matchClass(pattern, at, patternIndex, subject[subjectIndex]!, nocase);
        if (end < 0) {
          matched = false;
          break;
        }
        patternIndex = end;
        subjectIndex++;
      } else {
        if (byte === BYTE.backslash && patternLength - patternIndex >= 2) patternIndex++;
        const literal = pattern[patternIndex]!;
        const subjectByte = subject[subjectIndex]!;
        if (nocase ? lower(literal) !== lower(subjectByte) : literal !== subjectByte) {
          matched = false;
          break;
        }
        subjectIndex++;
      }
      patternIndex++;
      if (subjectIndex === subjectLength) {
        while (at(patternIndex) === BYTE.star) patternIndex++;
        break;
      }
    }
    if (matched && patternIndex === patternLength && subjectIndex === subjectLength) return true;
    if (starIndex < 0) return false;
    starSubjectIndex++;
    if (starSubjectIndex >= subjectLength) return false;
    patternIndex = starIndex + 1;
    subjectIndex = starSubjectIndex;
  }
}

/**
 * Matches one subject byte against the class opening at `openIndex`. Returns the index of the
 * class's last pattern byte (its ']', or the pattern's last byte if unclosed), or -1 if the
 * byte is not in the class.
 */
function matchClass(pattern: Uint8Array, at: (index: number) => number, openIndex: number, subjectByte: number, nocase: boolean): number {
  const patternLength = pattern.length;
  let index = openIndex + 1;
  const negated = at(index) === BYTE.caret;
  if (negated) index++;
  let match = false;
  for (;;) {
    const remaining = patternLength - index;
    const byte = at(index);
    if (byte === BYTE.backslash && remaining >= 2) {
      index++;
      if (at(index) === subjectByte) match = true;
    } else if (byte === BYTE.close) {
      break;
    } else if (remaining === 0) {
      index--;
      break;
    } else if (remaining >= 3 && at(index + 1) === BYTE.dash) {
      let start = signed(byte);
      let end = signed(at(index + 2));
      let value = signed(subjectByte);
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lower(start);
        end = lower(end);
        value = lower(value);
      }
      if (value >= start && value <= end) match = true;
      index += 2;
    } else if (nocase ? lower(byte) === lower(subjectByte) : byte === subjectByte) {
      match = true;
    }
    index++;
  }
  return match !== negated ? index : -1;
}
