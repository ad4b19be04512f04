// test/helpers/scale.ts: how long the long loops of the test suite run.
// CI (`npm test`) runs every count- and time-bound loop at its short size (scale 1), so the whole
// suite stays under ten minutes on a 2-core machine. `npm run test:long` sets TSKV_TEST_SCALE=5:
// the kill -9 loops, the crash-state enumeration and the fuzzers then run five times as long.
// A scale below 1 or not a number counts as 1.

const SCALE_MAX = 100; // a typo must not turn one test into a day

export const TEST_SCALE = Math.min(SCALE_MAX, Math.max(1, Math.floor(Number(process.env.TSKV_TEST_SCALE ?? 1)) || 1));

/** `count` at the short size, times TEST_SCALE. */
export function scaled(count: number): number {
  return count * TEST_SCALE;
}
