// src/types/timeseries/sample.ts: one sample of a series. `ts` is a non-negative integer of
// milliseconds (RTS uses u64; JS numbers are exact up to 2^53), `value` any double, NaN included.
export interface Sample {
  ts: number;
  value: number;
}

/** A label of a series: name and value, latin1-decoded from the argument bytes (C strings in RTS). */
export type Label = readonly [name: string, value: string];
