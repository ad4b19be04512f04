// src/types/timeseries/chunk-corrupt-error.ts: the one error the chunk codec throws on bytes it
// cannot trust (a damaged or truncated chunk). The offset is the byte of the chunk at which the
// decoder noticed; for a bit stream that is the byte holding the bit it was about to read.
// (Kept apart from errors.ts, whose TimeSeriesError carries RedisTimeSeries's reply texts: a
// corrupt chunk is an operating error of the storage, not a command error.)

export class ChunkCorruptError extends Error {
  override name = 'ChunkCorruptError';
  readonly code = 'ERR_TS_CHUNK_CORRUPT';
  readonly offset: number;
  constructor(offset: number, reason: string, options?: ErrorOptions) {
    super(`time series chunk is corrupt at byte ${offset}: ${reason}`, options);
    this.offset = offset;
  }
}
