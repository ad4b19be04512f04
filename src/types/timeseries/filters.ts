// src/types/timeseries/filters.ts: label filters of TS.MGET, TS.MRANGE and TS.QUERYINDEX as
// RedisTimeSeries 1.12 parses and evaluates them (query_language.c parseLabelListFromArgs,
// indexer.c parsePredicate / parseValueList / QueryIndex).
//   form        kind        a series matches when
//   l=v         eq          it has a label l with value v
//   l!=v        neq         it has no label l with value v
//   l=          ncontains   it has no label l
//   l!=         contains    it has a label l
//   l=(a,b)     list        it has a label l valued a or b (l=() matches nothing)
//   l!=(a,b)    notList     it has no label l valued a or b (l!=() matches everything)
// Invariants:
// - The kind is chosen by the first of '!=(', '!=', '=(', '=' found anywhere in the argument (its
//   bytes before a NUL); then the argument is cut like strtok: at EVERY character of that
//   separator, empty pieces skipped; the first piece is the label, the second the value (or the
//   list, which must end with ')' and holds comma-separated non-empty values). So 'l==v' is l=v,
//   'l=v=w' is l=v, '=v' is 'v=' (no label v), and a value never contains a separator character.
// - With repeated label names (LABELS a 1 a 2), each matcher asks whether ANY label fits, as the
//   index does (a=1 and a=2 both match; a!=1 does not).
// - A query needs at least one eq or list matcher; the result is the series matching all of them,
//   in key byte order (the caller sorts).
import { cString } from './arg-scan.js';
import { TS_ERRORS, TimeSeriesError } from './errors.js';
import type { Label } from './sample.js';

export type MatcherKind = 'eq' | 'neq' | 'contains' | 'ncontains' | 'list' | 'notList';

export interface LabelMatcher {
  kind: MatcherKind;
  label: string;
  /** eq/neq: one value; list/notList: the list (maybe empty); contains/ncontains: none. */
  values: string[];
}

/** strtok: the non-empty pieces of `text` between characters of `separators`. */
function strtokPieces(text: string, separators: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const char of text) {
    if (separators.includes(char)) {
      if (current !== '') pieces.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/** parseValueList: '(a,b)' after the separator, as 'a,b)'; undefined when malformed. */
function parseValueList(token: string | undefined): string[] | undefined {
  if (token === undefined || !token.endsWith(')')) return undefined;
  if (token.length <= 1) return [];
  const inner = token.slice(0, -1);
  const expected = inner.split(',').length; // commas + 1
  const values = strtokPieces(inner, ',');
  return values.length < expected ? undefined : values;
}

/** One filter expression, or undefined where RTS replies 'failed parsing labels'. */
export function parseMatcher(arg: Buffer): LabelMatcher | undefined {
  const text = cString(arg).toString('latin1');
  let kind: MatcherKind;
  let separators: string;
  if (text.includes('!=(')) [kind, separators] = ['notList', '!=('];
  else if (text.includes('!=')) [kind, separators] = ['neq', '!='];
  else if (text.includes('=(')) [kind, separators] = ['list', '=('];
  else if (text.includes('=')) [kind, separators] = ['eq', '='];
  else return undefined;
  const [label, token] = strtokPieces(text, separators);
  if (label === undefined) return undefined;
  if (kind === 'list' || kind === 'notList') {
    const values = parseValueList(token);
    return values === undefined ? undefined : { kind, label, values };
  }
  if (token !== undefined) return { kind, label, values: [token] };
  return { kind: kind === 'neq' ? 'contains' : 'ncontains', label, values: [] };
}

/**
 * The matchers of a FILTER list (TS.QUERYINDEX: all its arguments). Throws 'failed parsing
 * labels' at the first malformed one, then 'please provide at least one matcher' when none is
 * an eq or list matcher (an empty list included).
 */
export function parseMatchers(exprs: readonly Buffer[]): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  for (const expr of exprs) {
    const matcher = parseMatcher(expr);
    if (matcher === undefined) throw new TimeSeriesError(TS_ERRORS.filterParse);
    matchers.push(matcher);
  }
  if (!matchers.some((matcher) => matcher.kind === 'eq' || matcher.kind === 'list')) throw new TimeSeriesError(TS_ERRORS.filterNoMatcher);
  return matchers;
}

function hasLabel(labels: readonly Label[], name: string, values?: readonly string[]): boolean {
  return labels.some(([labelName, value]) => labelName === name && (values === undefined || values.includes(value)));
}

/** Whether one matcher accepts a series with these labels. */
export function matchesOne(labels: readonly Label[], matcher: LabelMatcher): boolean {
  switch (matcher.kind) {
    case 'eq':
    case 'list':
      return hasLabel(labels, matcher.label, matcher.values);
    case 'neq':
    case 'notList':
      return !hasLabel(labels, matcher.label, matcher.values);
    case 'contains':
      return hasLabel(labels, matcher.label);
    case 'ncontains':
      return !hasLabel(labels, matcher.label);
  }
}

/** Whether a series with these labels matches every matcher. */
export function matches(labels: readonly Label[], matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((matcher) => matchesOne(labels, matcher));
}

/**
 * How to answer a query from a label index (label, value) -> keys so that it costs what it
 * matches: scan the index entries of `driver` (eq: its one pair; list: one pair per value, a key
 * may appear under several only if it has repeated labels; contains: every value of the label),
 * then keep the series whose labels match all of `residual`. `entriesOf` estimates how many
 * index entries a (label, value) pair has, or a label when value is undefined; RTS drives with
 * the inclusion matcher (eq, list or contains) of fewest entries, ties to the first.
 */
export interface IndexPlan {
  driver: LabelMatcher;
  residual: LabelMatcher[];
}

export function planIndexQuery(matchers: readonly LabelMatcher[], entriesOf?: (label: string, value: string | undefined) => number): IndexPlan {
  let best: LabelMatcher | undefined;
  let bestSize = Infinity;
  for (const matcher of matchers) {
    if (matcher.kind !== 'eq' && matcher.kind !== 'list' && matcher.kind !== 'contains') continue;
    const size = entriesOf === undefined ? defaultCost(matcher) : matcherEntries(matcher, entriesOf);
    if (best === undefined || size < bestSize) [best, bestSize] = [matcher, size];
  }
  if (best === undefined) throw new TimeSeriesError(TS_ERRORS.filterNoMatcher);
  const driver = best;
  return { driver, residual: matchers.filter((matcher) => matcher !== driver) };
}

function matcherEntries(matcher: LabelMatcher, entriesOf: (label: string, value: string | undefined) => number): number {
  if (matcher.kind === 'contains') return entriesOf(matcher.label, undefined);
  return matcher.values.reduce((total, value) => total + entriesOf(matcher.label, value), 0);
}

/** Without estimates: an eq pair, then the shortest list, then a whole label. */
function defaultCost(matcher: LabelMatcher): number {
  if (matcher.kind === 'contains') return Number.MAX_SAFE_INTEGER;
  return matcher.values.length;
}
