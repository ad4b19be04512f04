// src/types/timeseries/errors.ts: the error every time-series module throws, carrying the exact
// reply text RedisTimeSeries 1.12 sends, and those texts by situation.
// Invariants:
// - `message` is the whole error line without the leading '-': RTS_ReplyGeneralError prefixes
//   'ERR ' (src/common.h), so most texts start 'ERR TSDB: '. Three replies go through
//   RedisModule_ReplyWithError without it and start 'TSDB: ' (TS_ERRORS.retentionNegative,
//   TS_ERRORS.incrTimestampTooOld; the third, a multi-shard refusal, is cluster-only).
// - `code` is 'ERR' or 'TSDB' (the first word a client sees), so the dispatcher can tell them apart
//   without parsing; the dispatcher writes `message` as it is (no CR or LF is ever in it).
export class TimeSeriesError extends Error {
  override name = 'TimeSeriesError';
  /** The first word of the reply line: 'ERR' for almost all, 'TSDB' for the three without it. */
  readonly code: 'ERR' | 'TSDB';
  constructor(message: string) {
    super(message);
    this.code = message.startsWith('ERR ') ? 'ERR' : 'TSDB';
  }
}

/** Redis's arity error as RedisModule_WrongArity sends it (the registered, lower-case name). */
export function wrongArityText(commandName: string): string {
  return `ERR wrong number of arguments for '${commandName.toLowerCase()}' command`;
}

/** Throws the arity error for the command named by args[0] (e.g. 'TS.RANGE' -> 'ts.range'). */
export function throwWrongArity(args: readonly Buffer[]): never {
  throw new TimeSeriesError(wrongArityText((args[0] ?? Buffer.alloc(0)).toString('latin1')));
}

/** RedisTimeSeries 1.12's reply texts (src/module.c, src/query_language.c, src/tsdb.c), word for word. */
export const TS_ERRORS = {
  // keys
  keyMissing: 'ERR TSDB: the key does not exist',
  wrongType: 'ERR WRONGTYPE Operation against a key holding the wrong kind of value',
  notTsdbKey: 'ERR TSDB: the key is not a TSDB key',
  keyExists: 'ERR TSDB: key already exists',
  // samples
  invalidTimestamp: 'ERR TSDB: invalid timestamp',
  negativeTimestamp: 'ERR TSDB: invalid timestamp, must be a nonnegative integer',
  /** tskv's own: timestamps are exact JS numbers (RedisTimeSeries takes any int64 >= 0). */
  timestampTooLarge: 'ERR TSDB: invalid timestamp, must be at most 9007199254740991',
  invalidValue: 'ERR TSDB: invalid value',
  olderThanRetention: 'ERR TSDB: Timestamp is older than retention',
  duplicateBlocked: 'ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to BLOCK mode',
  errorAtAdd: 'ERR TSDB: Error at add',
  incrTimestampTooOld: 'TSDB: timestamp must be equal to or higher than the maximum existing timestamp',
  invalidIncrement: 'ERR TSDB: invalid increase/decrease value',
  // create options
  retentionParse: "ERR TSDB: Couldn't parse RETENTION",
  retentionNegative: "TSDB: Couldn't parse RETENTION",
  chunkSizeParse: "ERR TSDB: Couldn't parse CHUNK_SIZE",
  chunkSizeRange: 'ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]',
  encodingUnknown: 'ERR TSDB: unknown ENCODING parameter',
  duplicatePolicyParse: "ERR TSDB: Couldn't parse DUPLICATE_POLICY",
  duplicatePolicyUnknown: 'ERR TSDB: Unknown DUPLICATE_POLICY',
  ignoreParse: "ERR TSDB: Couldn't parse IGNORE",
  ignoreNegative: 'ERR TSDB: IGNORE arguments cannot be negative',
  labelsParse: "ERR TSDB: Couldn't parse LABELS",
  // range options
  fromTimestamp: 'ERR TSDB: wrong fromTimestamp',
  toTimestamp: 'ERR TSDB: wrong toTimestamp',
  countMissing: 'ERR TSDB: COUNT argument is missing',
  countParse: "ERR TSDB: Couldn't parse COUNT",
  countInvalid: 'ERR TSDB: Invalid COUNT value',
  aggregationParse: "ERR TSDB: Couldn't parse AGGREGATION",
  aggregationUnknown: 'ERR TSDB: Unknown aggregation type',
  bucketDurationInvalid: 'ERR TSDB: bucketDuration must be greater than zero',
  emptyPosition: 'ERR TSDB: EMPTY flag should be the 3rd or 5th flag after AGGREGATION flag',
  bucketTimestampPosition: 'ERR TSDB: BUCKETTIMESTAMP flag should be the 3rd or 4th flag after AGGREGATION flag',
  bucketTimestampUnknown: 'ERR TSDB: unknown BUCKETTIMESTAMP parameter',
  alignUnknown: 'ERR TSDB: unknown ALIGN parameter',
  alignWithoutAggregation: 'ERR TSDB: ALIGN parameter can only be used with AGGREGATION',
  alignStartImplicit: 'ERR TSDB: start alignment can only be used with explicit start timestamp',
  alignEndImplicit: 'ERR TSDB: end alignment can only be used with explicit end timestamp',
  filterByValueMissing: 'ERR TSDB: FILTER_BY_VALUE one or more arguments are missing',
  filterByValueMin: "ERR TSDB: Couldn't parse MIN",
  filterByValueMax: "ERR TSDB: Couldn't parse MAX",
  filterByTsMissing: 'ERR TSDB: FILTER_BY_TS one or more arguments are missing',
  // label filters and replies
  filterParse: 'ERR TSDB: failed parsing labels',
  filterNoMatcher: 'ERR TSDB: please provide at least one matcher',
  filterMissing: 'ERR TSDB: missing FILTER argument',
  filterNoLabels: 'ERR TSDB: missing labels for filter argument',
  withLabelsAndSelected: 'ERR TSDB: cannot accept WITHLABELS and SELECT_LABELS together',
  selectedLabelsEmpty: 'ERR TSDB: SELECT_LABELS should have at least 1 parameter',
  selectedLabelsMax: 'ERR TSDB: reached max size for SELECT_LABELS',
  groupByBeforeFilter: 'ERR TSDB: GROUPBY should always come after filter',
  reducerInvalid: 'ERR TSDB: Invalid reducer type',
  // other commands
  getThirdArgument: 'ERR TSDB: wrong 3rd argument',
  ruleSameKey: 'ERR TSDB: the source key and destination key should be different',
  ruleSourceHasSource: 'ERR TSDB: the source key already has a source rule',
  ruleDestinationHasRules: 'ERR TSDB: the destination key already has a dst rule',
  ruleDestinationHasSource: 'ERR TSDB: the destination key already has a src rule',
  alignTimestampParse: "ERR TSDB: Couldn't parse alignTimestamp",
  ruleMissing: 'ERR TSDB: compaction rule does not exist',
  deleteBeyondRetention:
    'ERR TSDB: When a series has compactions, deleting samples or compaction buckets beyond the series retention period is not possible',
} as const;

export type TimeSeriesErrorText = (typeof TS_ERRORS)[keyof typeof TS_ERRORS];

/** Throws TS_ERRORS[name] as a TimeSeriesError. */
export function fail(text: TimeSeriesErrorText): never {
  throw new TimeSeriesError(text);
}
