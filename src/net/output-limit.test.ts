import { describe, expect, it } from 'vitest';
import { OutputLimitWatch } from './output-limit.js';

const LIMIT = { hardBytes: 1000, softBytes: 100, softSeconds: 2 };

describe('OutputLimitWatch', () => {
  it('closes at once at the hard limit', () => {
    expect(new OutputLimitWatch().verdict(1000, LIMIT, 0)).toBe('close-hard');
    expect(new OutputLimitWatch().verdict(999, LIMIT, 0)).toBe('soft-pending');
  });

  it('closes past the soft limit only once it stayed past it longer than the soft seconds', () => {
    const watch = new OutputLimitWatch();
    expect(watch.verdict(150, LIMIT, 10_000)).toBe('soft-pending');
    expect(watch.verdict(150, LIMIT, 12_000)).toBe('soft-pending'); // exactly the seconds: not yet, as Redis
    expect(watch.softDueInMs(LIMIT, 12_000)).toBe(1);
    expect(watch.verdict(150, LIMIT, 12_001)).toBe('close-soft');
  });

  it('starts the soft seconds again after a sample under the soft limit', () => {
    const watch = new OutputLimitWatch();
    expect(watch.verdict(150, LIMIT, 0)).toBe('soft-pending');
    expect(watch.verdict(50, LIMIT, 1_500)).toBe('ok');
    expect(watch.verdict(150, LIMIT, 2_500)).toBe('soft-pending');
    expect(watch.verdict(150, LIMIT, 4_000)).toBe('soft-pending');
    expect(watch.verdict(150, LIMIT, 4_501)).toBe('close-soft');
  });

  it('treats 0 bytes as no limit', () => {
    const watch = new OutputLimitWatch();
    const none = { hardBytes: 0, softBytes: 0, softSeconds: 0 };
    expect(watch.verdict(2 ** 40, none, 0)).toBe('ok');
    expect(watch.verdict(2 ** 40, none, 10 ** 9)).toBe('ok');
  });
});
