import { describe, expect, it } from 'vitest';
import {
  InvalidValue, LONG_MAX, ULLONG_MAX, formatKeyspaceEvents, formatMemory, formatSave, parseEnum, parseKeyspaceEvents, parseNumber, parseSave, parseYesNo,
} from './config-values.js';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidValue) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('parseNumber', () => {
  it('reads integers as string2ll does: no sign but -, no spaces, no leading zeros', () => {
    const spec = { min: -100, max: 100 };
    expect(parseNumber('-7', spec)).toBe(-7);
    expect(parseNumber('0', spec)).toBe(0);
    for (const text of ['+1', ' 1', '1 ', '01', '-0', '1.0', '', 'x', '1kb']) expect(refusal(() => parseNumber(text, spec)), text).toBe("argument couldn't be parsed into an integer");
    expect(refusal(() => parseNumber('101', spec))).toBe('argument must be between -100 and 100 inclusive');
  });

  it('reads memory as memtoull does: units in any case, none read as 0, no sign', () => {
    const spec = { min: 0, max: ULLONG_MAX, memory: true };
    expect([['100mb', 104857600], ['1GB', 1073741824], ['5k', 5000], ['7Kb', 7168], ['2m', 2_000_000], ['3g', 3e9], ['9b', 9], ['', 0], ['mb', 0]]
      .map(([text]) => parseNumber(String(text), spec))).toEqual([104857600, 1073741824, 5000, 7168, 2_000_000, 3e9, 9, 0, 0]);
    for (const text of ['-1', ' 1', '1.5gb', '1tb', '1 mb', 'constructor']) expect(refusal(() => parseNumber(text, spec)), text).toBe('argument must be a memory value');
  });

  it('checks Redis\'s range first, then tskv\'s cap, and keeps values past 2^53 - 1 as 2^53 - 1', () => {
    const spec = { min: 1024, max: LONG_MAX, cap: 4096, memory: true };
    expect(refusal(() => parseNumber('1000', spec))).toBe('argument must be between 1024 and 9223372036854775807 inclusive');
    expect(refusal(() => parseNumber('5kb', spec))).toBe('argument must be between 1024 and 4096 inclusive');
    expect(parseNumber('9223372036854775807', { min: 0, max: LONG_MAX })).toBe(Number.MAX_SAFE_INTEGER);
    expect(refusal(() => parseNumber('9223372036854775808', { min: 0, max: LONG_MAX }))).toBe("argument couldn't be parsed into an integer");
  });
});

describe('yes/no and enums', () => {
  it('take any case and refuse with Redis\'s list', () => {
    expect([parseYesNo('YES'), parseYesNo('no')]).toEqual([true, false]);
    expect(refusal(() => parseYesNo('1'))).toBe("argument must be 'yes' or 'no'");
    expect(parseEnum('EveRySec', ['everysec', 'always', 'no'] as const)).toBe('everysec');
    expect(refusal(() => parseEnum('sometimes', ['everysec', 'always', 'no'] as const))).toBe('argument(s) must be one of the following: everysec, always, no');
  });
});

describe('save', () => {
  it('reads pairs split on single spaces, as setConfigSaveOption, and prints them back', () => {
    expect(parseSave('')).toEqual([]);
    expect(formatSave(parseSave('3600 1 300 100 60 10000'))).toBe('3600 1 300 100 60 10000');
    expect(formatSave(parseSave('+5 0'))).toBe('5 0');
    for (const text of ['3600', '0 1', '3600 -1', '3600 1  300 10', 'abc 1', ' ', '1 x']) expect(refusal(() => parseSave(text)), text).toBe('Invalid save parameters');
  });
});

describe('notify-keyspace-events', () => {
  it('takes Redis\'s letters and prints them in Redis\'s order, A for every class', () => {
    expect(formatKeyspaceEvents(parseKeyspaceEvents('KEA'))).toBe('AKE');
    expect(formatKeyspaceEvents(parseKeyspaceEvents('Exm$g'))).toBe('g$xEm');
    expect(formatKeyspaceEvents(parseKeyspaceEvents('g$lshzxetdK'))).toBe('AK');
    expect(formatKeyspaceEvents(parseKeyspaceEvents('n'))).toBe('n');
    expect(formatKeyspaceEvents(parseKeyspaceEvents(''))).toBe('');
    expect(refusal(() => parseKeyspaceEvents('k'))).toBe("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  });
});

describe('formatMemory', () => {
  it('writes the largest whole unit, as CONFIG REWRITE does', () => {
    expect([0, 64, 1024, 1536, 100 * 1024 ** 2, 1024 ** 3, 3 * 1024 ** 3 + 1024].map(formatMemory)).toEqual(['0', '64', '1kb', '1536', '100mb', '1gb', '3145729kb']);
  });
});
