import { describe, expect, it } from 'vitest';
import { InstantaneousMetric } from './instantaneous-metric.js';

describe('InstantaneousMetric', () => {
  it('averages the last 16 samples, as Redis does', () => {
    const metric = new InstantaneousMetric();
    let value = 0;
    for (let tick = 0; tick <= 40; tick++) {
      metric.sample(tick * 100, value);
      value += tick < 20 ? 10 : 50; // 100/s, then 500/s
    }
    expect(metric.perSecond()).toBeCloseTo(500);
  });

  it('ignores a first sample and a clock that did not move', () => {
    const metric = new InstantaneousMetric();
    metric.sample(100, 10);
    metric.sample(100, 20);
    expect(metric.perSecond()).toBe(0);
  });
});
