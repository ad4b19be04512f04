import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['storage/**/*.test.ts', 'protocol/**/*.test.ts', 'src/**/*.test.ts', 'test/**/*.test.ts', 'chaos/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
