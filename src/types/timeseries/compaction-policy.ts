// src/types/timeseries/compaction-policy.ts: the COMPACTION_POLICY module option of RedisTimeSeries
// 1.12 (parse_policies.c), e.g. 'max:1m:1h;avg:10s:1d:5s': rules separated by ';', each
// agg:bucket:retention[:alignment] with durations as <integer><unit>, unit m (milliseconds),
// s (seconds), M (minutes), h (hours), d (days).
// Invariants: all or nothing (one bad rule refuses the whole text); empty pieces between
// separators are skipped (strtok); retention may be '0' without a unit (keep forever); a bucket or
// alignment of '0' alone, a unit other than m s M h d, anything after the unit, or a sign is
// refused. RTS would also take a 0m bucket (and later divide by it): refused here.
import { parseAggregationType } from './aggregators.js';
import type { CompactionRuleSpec } from './compaction-rule.js';

export interface PolicyRule extends CompactionRuleSpec {
  retentionMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 1, s: 1000, M: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^[ \t\n\v\f\r]*([0-9]+)(.?)$/s;

/** parse_string_to_millisecs; undefined where RTS fails. */
function parseDuration(text: string, canBeZero: boolean): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const size = Number(match[1]);
  const unit = match[2] ?? '';
  if (unit === '') return canBeZero && size === 0 ? 0 : undefined;
  if (canBeZero && size === 0) return 0;
  const scale = UNIT_MS[unit];
  return scale === undefined ? undefined : scale * size;
}

/** ParseCompactionPolicy: the rules, or undefined if any part is malformed. */
export function parseCompactionPolicy(text: string): PolicyRule[] | undefined {
  const rules: PolicyRule[] = [];
  for (const piece of text.split(';').filter((part) => part !== '')) {
    const fields = piece.split(':').filter((part) => part !== '');
    if (fields.length < 3 || fields.length > 4) return undefined;
    const [name, bucketText, retentionText, alignmentText] = fields as [string, string, string, string | undefined];
    const aggregation = parseAggregationType(Buffer.from(name, 'latin1'));
    const bucketDuration = parseDuration(bucketText, false);
    const retentionMs = parseDuration(retentionText, true);
    const alignment = alignmentText === undefined ? 0 : parseDuration(alignmentText, false);
    if (aggregation === undefined || bucketDuration === undefined || bucketDuration === 0 || retentionMs === undefined || alignment === undefined) return undefined;
    rules.push({ aggregation, bucketDuration, retentionMs, alignment });
  }
  return rules;
}
