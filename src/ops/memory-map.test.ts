// src/ops/memory-map.test.ts: the executable's resident bytes, from smaps text and from this process.
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXECUTABLE_READ_INTERVAL_MS, ExecutableResidency, executableResidentBytes, readExecutableResidentBytes } from './memory-map.js';

const SMAPS = [
  '00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node',
  'Size:               7612 kB',
  'Rss:                5996 kB',
  'Pss:                5996 kB',
  '00b72000-025fe000 r-xp 00772000 fe:00 260689                             /usr/bin/node',
  'Rss:               21552 kB',
  '025fe000-02600000 rw-p 00000000 00:00 0 ',
  'Rss:                   8 kB',
  '7f5093c7a000-7f5093c7d000 r--p 00000000 fe:00 5695285                    /usr/bin/node-helper.so',
  'Rss:                  12 kB',
  '7f508be40000-7f508bfd2000 r-xp 014c4000 fe:00 260689                     /usr/bin/node',
  'Rss:                 896 kB',
  '7ffd1000-7ffd2000 rw-p 00000000 00:00 0                                  [stack]',
  'Rss:                 132 kB',
].join('\n');

describe('executableResidentBytes', () => {
  it('sums the Rss of the executable\'s mappings only (not anonymous ones, not other files)', () => {
    expect(executableResidentBytes(SMAPS, '/usr/bin/node')).toBe((5996 + 21552 + 896) * 1024);
  });

  it('is 0 for a path no mapping names', () => {
    expect(executableResidentBytes(SMAPS, '/usr/local/bin/node')).toBe(0);
  });
});

describe('readExecutableResidentBytes', () => {
  it.runIf(process.platform === 'linux')('finds this node\'s own pages: some MiB, below its RSS', () => {
    expect(realpathSync(process.execPath)).not.toBe('');
    const bytes = readExecutableResidentBytes();
    expect(bytes).toBeGreaterThan(1024 * 1024);
    expect(bytes).toBeLessThan(process.memoryUsage().rss);
  });
});

describe('ExecutableResidency', () => {
  it('reads smaps at most once per interval and reports the last figure meanwhile', () => {
    let reads = 0;
    const residency = new ExecutableResidency(() => {
      reads++;
      return SMAPS.replaceAll('/usr/bin/node', realpathSync(process.execPath));
    });
    const bytes = (5996 + 21552 + 896) * 1024;
    expect(residency.bytes(1_000)).toBe(bytes);
    expect(residency.bytes(1_000 + EXECUTABLE_READ_INTERVAL_MS - 1)).toBe(bytes);
    expect(reads).toBe(1);
    expect(residency.bytes(1_000 + EXECUTABLE_READ_INTERVAL_MS)).toBe(bytes);
    expect(reads).toBe(2);
  });

  it('is 0 when smaps cannot be read', () => {
    const residency = new ExecutableResidency(() => {
      throw new Error('ENOENT');
    });
    expect(residency.bytes(0)).toBe(0);
  });
});
