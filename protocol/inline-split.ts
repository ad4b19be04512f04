// protocol/inline-split.ts: splits an inline request line into arguments, as Redis's
// sdssplitargs (src/sds.c) does for processInlineBuffer.
//   foo bar "quoted \x41\n" 'single \' only'   ->   foo | bar | quoted A<LF> | single ' only
// Rules, byte for byte as sdssplitargs in the C locale:
// - Blanks between arguments are isspace(): space, \t, \n, \v, \f, \r.
// - An unquoted argument ends at space, \t, \n, \r or the end; a quote inside it opens a quoted
//   part of the same argument (foo"bar" is foobar). \v and \f inside one are kept.
// - In double quotes: \xHH (two hex digits) is a byte; \n \r \t \b \a are controls; a backslash
//   before any other byte yields that byte (\" \\ \q). In single quotes only \' is an escape.
// - A closing quote must be followed by isspace() or the end; otherwise, as for a quote never
//   closed, the line is unbalanced and the result is null.
// - A NUL byte ends the line, as it ends a C string (the reader never passes one: Redis's
//   strchr-based line search stops there first).
// Invariants: the line is never modified; an unquoted, unescaped argument is a subarray of the
// line; every other argument is a subarray of one scratch buffer allocated per call, never
// larger than the line. Work is linear in the line's length.

const BYTE = {
  nul: 0x00,
  bell: 0x07,
  backspace: 0x08,
  tab: 0x09,
  lineFeed: 0x0a,
  verticalTab: 0x0b,
  formFeed: 0x0c,
  carriageReturn: 0x0d,
  space: 0x20,
  doubleQuote: 0x22,
  singleQuote: 0x27,
  backslash: 0x5c,
  a: 0x61,
  b: 0x62,
  n: 0x6e,
  r: 0x72,
  t: 0x74,
  x: 0x78,
} as const;

/** C's isspace() in the C locale. */
function isSpace(byte: number): boolean {
  return byte === BYTE.space || (byte >= BYTE.tab && byte <= BYTE.carriageReturn);
}

/** Ends an unquoted argument (sdssplitargs's switch: space, \n, \r, \t, \0). */
function endsUnquoted(byte: number): boolean {
  return byte === BYTE.space || byte === BYTE.lineFeed || byte === BYTE.carriageReturn || byte === BYTE.tab || byte === BYTE.nul;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

function unescaped(byte: number): number {
  switch (byte) {
    case BYTE.n: return BYTE.lineFeed;
    case BYTE.r: return BYTE.carriageReturn;
    case BYTE.t: return BYTE.tab;
    case BYTE.b: return BYTE.backspace;
    case BYTE.a: return BYTE.bell;
    default: return byte;
  }
}

/**
 * Splits `line` (without its line ending) into arguments. Returns null when quotes are
 * unbalanced or a closing quote is followed by something other than a blank.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const nulIndex = line.indexOf(BYTE.nul);
  const end = nulIndex === -1 ? line.length : nulIndex;
  const args: Buffer[] = [];
  let scratch: Buffer | undefined;
  let scratchUsed = 0;
  let index = 0;
  for (;;) {
    while (index < end && isSpace(line[index]!)) index++;
    if (index >= end) return args;
    const start = index;
    while (index < end && !endsUnquoted(line[index]!) && line[index] !== BYTE.doubleQuote && line[index] !== BYTE.singleQuote) index++;
    if (index >= end || endsUnquoted(line[index]!)) {
      args.push(line.subarray(start, index)); // the common case: no quotes, no copy
      if (index < end) index++;
      continue;
    }
    scratch ??= Buffer.allocUnsafe(end);
    const tokenStart = scratchUsed;
    scratchUsed += line.copy(scratch, scratchUsed, start, index);
    const after = splitQuotedToken(line, end, index, scratch, scratchUsed);
    if (after === null) return null;
    index = after.index;
    scratchUsed = after.scratchUsed;
    args.push(scratch.subarray(tokenStart, scratchUsed));
  }
}

/**
 * Continues an argument at `index` (a quote, or inside an unquoted part) until it ends;
 * appends its bytes to `scratch`. Returns where scanning resumes, or null if unbalanced.
 */
function splitQuotedToken(
  line: Buffer,
  end: number,
  startIndex: number,
  scratch: Buffer,
  startUsed: number,
): { index: number; scratchUsed: number } | null {
  let index = startIndex;
  let used = startUsed;
  let quote = 0; // 0 outside quotes, else the opening quote byte
  const at = (i: number): number => (i < end ? line[i]! : BYTE.nul);
  // The closing quote must be followed by a space or the end (else unbalanced, as sdssplitargs);
  // the end of the line inside quotes is unbalanced too.
  const closeQuote = (byte: number): { index: number; scratchUsed: number } | null => {
    const next = at(index + 1);
    if (byte === BYTE.nul || (next !== BYTE.nul && !isSpace(next))) return null;
    return { index: index + 1, scratchUsed: used };
  };
  for (;;) {
    const byte = at(index);
    if (quote === BYTE.doubleQuote) {
      const high = hexValue(at(index + 2));
      const low = hexValue(at(index + 3));
      if (byte === BYTE.backslash && at(index + 1) === BYTE.x && high >= 0 && low >= 0) {
        scratch[used++] = high * 16 + low;
        index += 3;
      } else if (byte === BYTE.backslash && at(index + 1) !== BYTE.nul) {
        index++;
        scratch[used++] = unescaped(at(index));
      } else if (byte === BYTE.doubleQuote || byte === BYTE.nul) {
        return closeQuote(byte);
      } else {
        scratch[used++] = byte;
      }
    } else if (quote === BYTE.singleQuote) {
      if (byte === BYTE.backslash && at(index + 1) === BYTE.singleQuote) {
        index++;
        scratch[used++] = BYTE.singleQuote;
      } else if (byte === BYTE.singleQuote || byte === BYTE.nul) {
        return closeQuote(byte);
      } else {
        scratch[used++] = byte;
      }
    } else if (endsUnquoted(byte)) {
      return { index: byte === BYTE.nul ? index : index + 1, scratchUsed: used };
    } else if (byte === BYTE.doubleQuote || byte === BYTE.singleQuote) {
      quote = byte;
    } else {
      scratch[used++] = byte;
    }
    index++;
  }
}
