// src/ops/instantaneous-metric.ts: a per-second rate as Redis's trackInstantaneousMetric computes it
// (src/server.c): every INSTANTANEOUS_INTERVAL_MS the caller passes a counter's value; a sample is
// (value delta) * 1000 / (ms delta); the rate is the mean of the last INSTANTANEOUS_SAMPLES samples
// (zeros until that many were taken, as in Redis). INFO's instantaneous_ops_per_sec and
// instantaneous_input_kbps / output_kbps use it.
// Invariants: no allocation per sample; a counter that went backwards (CONFIG RESETSTAT) samples 0.
export const INSTANTANEOUS_SAMPLES = 16; // STATS_METRIC_SAMPLES
export const INSTANTANEOUS_INTERVAL_MS = 100;

export class InstantaneousMetric {
  private readonly samples = new Float64Array(INSTANTANEOUS_SAMPLES);
  private index = 0;
  private lastMs = -1;
  private lastValue = 0;

  sample(nowMs: number, value: number): void {
    if (this.lastMs >= 0) {
      const elapsedMs = nowMs - this.lastMs;
      this.samples[this.index] = elapsedMs > 0 ? Math.max(0, value - this.lastValue) * 1000 / elapsedMs : 0;
      this.index = (this.index + 1) % INSTANTANEOUS_SAMPLES;
    }
    this.lastMs = nowMs;
    this.lastValue = value;
  }

  perSecond(): number {
    let sum = 0;
    for (const sample of this.samples) sum += sample;
    return sum / INSTANTANEOUS_SAMPLES;
  }

  reset(): void {
    this.samples.fill(0);
    this.index = 0;
    this.lastMs = -1;
  }
}

