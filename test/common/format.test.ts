// Percentages and CSV cells as every table and file of the tool writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvNumber, csvText, percent } from '../../common/format.ts';

test('percent: fractions to fixed decimals, a placeholder for what is missing or not finite', () => {
  assert.equal(percent(0.98765), '98.77');
  assert.equal(percent(1, 1), '100.0');
  assert.equal(percent(null), '–');
  assert.equal(percent(undefined, 2, '-'), '-');
  assert.equal(percent(Number.NaN, 1, '—'), '—');
});

test('CSV: cells with commas, quotes or line breaks are quoted, quotes doubled (RFC 4180)', () => {
  assert.equal(csvCell('good/000'), 'good/000');
  assert.equal(csvCell('scratch, deep/001'), '"scratch, deep/001"');
  assert.equal(csvCell('the "big" one'), '"the ""big"" one"');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvNumber(0.5), '0.5');
  assert.equal(csvNumber(Number.NaN), '');
  assert.equal(
    csvText([
      ['id', 'score'],
      ['a,b', '1'],
    ]),
    'id,score\n"a,b",1\n',
  );
});
