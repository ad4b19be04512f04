// src/types/timeseries/filters.test.ts: label matchers, with the cases of RedisTimeSeries 1.12's
// tests/flow/test_ts_queryindex.py and test_ts_mrange.py, strtok's quirks, and a model check of
// the index plan against a plain scan.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TS_ERRORS, TimeSeriesError } from './errors.js';
import { matches, parseMatcher, parseMatchers, planIndexQuery, type LabelMatcher } from './filters.js';
import type { Label } from './sample.js';

function matcher(text: string): LabelMatcher | undefined {
  return parseMatcher(Buffer.from(text, 'latin1'));
}

function query(series: Record<string, Label[]>, ...exprs: string[]): string[] {
  const matchers = parseMatchers(exprs.map((expr) => Buffer.from(expr)));
  return Object.keys(series)
    .filter((key) => matches(series[key] as Label[], matchers))
    .sort();
}

describe('parseMatcher', () => {
  it.each([
    ['l=v', { kind: 'eq', label: 'l', values: ['v'] }],
    ['l!=v', { kind: 'neq', label: 'l', values: ['v'] }],
    ['l=', { kind: 'ncontains', label: 'l', values: [] }],
    ['l!=', { kind: 'contains', label: 'l', values: [] }],
    ['l=(a,b)', { kind: 'list', label: 'l', values: ['a', 'b'] }],
    ['l!=(a,b)', { kind: 'notList', label: 'l', values: ['a', 'b'] }],
    ['l=()', { kind: 'list', label: 'l', values: [] }],
    ['l!=()', { kind: 'notList', label: 'l', values: [] }],
    ['generation=(x)', { kind: 'list', label: 'generation', values: ['x'] }],
    // strtok cuts at every separator character and skips empty pieces
    ['l==v', { kind: 'eq', label: 'l', values: ['v'] }],
    ['l=v=w', { kind: 'eq', label: 'l', values: ['v'] }],
    ['=v', { kind: 'ncontains', label: 'v', values: [] }],
    ['a!b!=c', { kind: 'neq', label: 'a', values: ['b'] }],
    ['l=a(b', { kind: 'eq', label: 'l', values: ['a(b'] }],
    ['l=a!b', { kind: 'eq', label: 'l', values: ['a!b'] }],
    ['l=(a)=x', { kind: 'list', label: 'l', values: ['a'] }],
    ['l=v\0junk', { kind: 'eq', label: 'l', values: ['v'] }],
  ])('reads %j', (text, expected) => {
    expect(matcher(text)).toEqual(expected);
  });

  it.each(['l', '', '=', '!=', 'l=(', 'class=(ab', 'l=(a,,b)', 'l=(a,b,)', 'l=(,a)', 'l=(a=b)', 'l=(a(b))', 'generation+x'])('refuses %j', (text) => {
    expect(matcher(text)).toBeUndefined();
  });

  it('needs one eq or list matcher', () => {
    const error = (exprs: string[]) => {
      try {
        parseMatchers(exprs.map((expr) => Buffer.from(expr)));
      } catch (caught) {
        return (caught as TimeSeriesError).message;
      }
      return undefined;
    };
    expect(error(['z=', 'x!=2'])).toBe(TS_ERRORS.filterNoMatcher);
    expect(error(['generation!=(x,y)'])).toBe(TS_ERRORS.filterNoMatcher);
    expect(error(['a!=', 'b='])).toBe(TS_ERRORS.filterNoMatcher);
    expect(error([])).toBe(TS_ERRORS.filterNoMatcher);
    expect(error(['a=b', 'k+1'])).toBe(TS_ERRORS.filterParse);
    expect(error(['k+1', 'a!='])).toBe(TS_ERRORS.filterParse);
    expect(error(['l=()'])).toBeUndefined();
  });
});

describe('matches', () => {
  const index: Record<string, Label[]> = {
    tester1: [['name', 'bob'], ['class', 'middle'], ['generation', 'x']],
    tester2: [['name', 'rudy'], ['class', 'junior'], ['generation', 'x']],
    tester3: [['name', 'fabi'], ['class', 'top'], ['generation', 'x'], ['x', '2']],
    tester4: [['name', 'anybody'], ['class', 'top'], ['type', 'noone'], ['x', '2'], ['z', '3']],
  };

  it.each([
    [['generation=x'], ['tester1', 'tester2', 'tester3']],
    [['generation=x', 'x='], ['tester1', 'tester2']],
    [['generation=x', 'x=2'], ['tester3']],
    [['x=2'], ['tester3', 'tester4']],
    [['generation=x', 'class!=middle', 'x='], ['tester2']],
    [['generation=x', 'class=top', 'x='], []],
    [['generation=x', 'class=top', 'z='], ['tester3']],
    [['z=', 'x=2'], ['tester3']],
    [['generation=x', 'class=(middle,junior)'], ['tester1', 'tester2']],
    [['generation=x', 'class=(a,b,c)'], []],
    [['generation=(x)'], ['tester1', 'tester2', 'tester3']],
    [['generation=x', 'class=()'], []],
    [['class=(middle,junior,top)', 'name!=(bob,rudy,fabi)'], ['tester4']],
    [['class=(middle,junior,top)', 'name!=()'], ['tester1', 'tester2', 'tester3', 'tester4']],
    [['class=top', 'z!='], ['tester4']],
  ])('answers TS.QUERYINDEX %j as RTS', (exprs, keys) => {
    expect(query(index, ...exprs)).toEqual(keys);
  });

  it('answers the TS.MGET cases of test_multilabel_filter', () => {
    const series: Record<string, Label[]> = {
      tester1: [['name', 'bob'], ['class', 'middle'], ['generation', 'x'], ['special', 'yes']],
      tester2: [['name', 'rudy'], ['class', 'junior'], ['generation', 'x']],
      tester3: [['name', 'fabi'], ['class', 'top'], ['generation', 'x']],
    };
    expect(query(series, 'name=(bob,rudy)')).toEqual(['tester1', 'tester2']);
    expect(query(series, 'name=(bob,rudy)', 'class!=(middle,top)')).toEqual(['tester2']);
    expect(query(series, 'name=(bob,rudy)', 'class!=(middle,top)', 'generation=y')).toEqual([]);
    expect(query(series, 'name=(bob,rudy)', 'class!=(middle,top)', 'generation!=x')).toEqual([]);
    expect(query(series, 'name=(bob,rudy)', 'class!=(middle,top)', 'generation=')).toEqual([]);
    expect(query(series, 'name=(bob)', 'class=(middle,top,junior)', 'generation!=y')).toEqual(['tester1']);
    expect(query(series, 'name=(bob)', 'class=(middle,top,junior)', 'generation!=')).toEqual(['tester1']);
    expect(query(series, 'class=(top,junior,middle)', 'generation!=', 'special!=')).toEqual(['tester1']);
  });

  it('asks whether any label fits when a name repeats, as the index does', () => {
    const labels: Label[] = [['a', '1'], ['a', '2']];
    expect(matches(labels, [{ kind: 'eq', label: 'a', values: ['1'] }])).toBe(true);
    expect(matches(labels, [{ kind: 'eq', label: 'a', values: ['2'] }])).toBe(true);
    expect(matches(labels, [{ kind: 'neq', label: 'a', values: ['1'] }])).toBe(false);
    expect(matches(labels, [{ kind: 'notList', label: 'a', values: ['3', '2'] }])).toBe(false);
  });
});

describe('planIndexQuery', () => {
  const labelArb = fc.constantFrom('a', 'b', 'c');
  const valueArb = fc.constantFrom('1', '2', '3');
  const seriesArb = fc.array(fc.array(fc.tuple(labelArb, valueArb), { maxLength: 4 }), { maxLength: 12 });
  const matcherArb: fc.Arbitrary<LabelMatcher> = fc.oneof(
    fc.record({ kind: fc.constantFrom('eq' as const, 'neq' as const), label: labelArb, values: valueArb.map((value) => [value]) }),
    fc.record({ kind: fc.constantFrom('contains' as const, 'ncontains' as const), label: labelArb, values: fc.constant([] as string[]) }),
    fc.record({ kind: fc.constantFrom('list' as const, 'notList' as const), label: labelArb, values: fc.uniqueArray(valueArb, { maxLength: 3 }) }),
  );

  it('finds what a scan of every series finds, driving with an inclusion matcher', () => {
    fc.assert(
      fc.property(seriesArb, fc.array(matcherArb, { maxLength: 4 }), valueArb, labelArb, (all, extra, value, label) => {
        const matchers: LabelMatcher[] = [{ kind: 'eq', label, values: [value] }, ...extra];
        const entries = (name: string, wanted: string | undefined) => all.filter((labels) => labels.some(([n, v]) => n === name && (wanted === undefined || v === wanted))).length;
        for (const plan of [planIndexQuery(matchers), planIndexQuery(matchers, entries)]) {
          expect(['eq', 'list', 'contains']).toContain(plan.driver.kind);
          expect(plan.residual).toHaveLength(matchers.length - 1);
          const driven = all
            .map((labels, id) => ({ labels, id }))
            .filter(({ labels }) => labels.some(([n, v]) => n === plan.driver.label && (plan.driver.kind === 'contains' || plan.driver.values.includes(v))))
            .filter(({ labels }) => matches(labels, plan.residual))
            .map(({ id }) => id);
          const scanned = all.map((labels, id) => ({ labels, id })).filter(({ labels }) => matches(labels, matchers)).map(({ id }) => id);
          expect(driven).toEqual(scanned);
        }
      }),
    );
  });

  it('drives with the matcher of fewest index entries', () => {
    const matchers = parseMatchers(['a=1', 'b=(1,2)', 'c!='].map((expr) => Buffer.from(expr)));
    const sizes: Record<string, number> = { 'a=1': 100, 'b=1': 3, 'b=2': 4, c: 2 };
    expect(planIndexQuery(matchers, (label, value) => sizes[value === undefined ? label : `${label}=${value}`] ?? 0).driver.label).toBe('c');
    expect(planIndexQuery(matchers).driver.label).toBe('a');
  });
});
