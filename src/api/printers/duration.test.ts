import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from './index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const cases: Array<[number, string]> = [
  [-3 * S, '<invalid>'],
  [-2 * S, '<invalid>'],
  [-1999, '0s'],
  [-1 * S, '0s'],
  [0, '0s'],
  [999, '0s'],
  [S, '1s'],
  [45 * S, '45s'],
  [119 * S + 999, '119s'],
  [2 * M, '2m'],
  [5 * M + 10 * S, '5m10s'],
  [9 * M + 59 * S, '9m59s'],
  [10 * M, '10m'],
  [10 * M + 30 * S, '10m'],
  [179 * M + 59 * S, '179m'],
  [3 * H, '3h'],
  [5 * H + 3 * M, '5h3m'],
  [7 * H + 59 * M, '7h59m'],
  [8 * H, '8h'],
  [8 * H + 30 * M, '8h'],
  [47 * H + 59 * M, '47h'],
  [2 * D, '2d'],
  [2 * D + 5 * H, '2d5h'],
  [7 * D + 23 * H, '7d23h'],
  [8 * D, '8d'],
  [8 * D + 5 * H, '8d'],
  [400 * D, '400d'],
  [729 * D + 23 * H, '729d'],
  [730 * D, '2y'],
  [3 * 365 * D + 20 * D, '3y20d'],
  [8 * 365 * D - D, '7y364d'],
  [8 * 365 * D, '8y'],
  [12 * 365 * D + 100 * D, '12y'],
];

for (const [ms, want] of cases) {
  test(`humanDuration(${ms}ms) = ${want}`, () => {
    assert.equal(humanDuration(ms), want);
  });
}

test('humanDuration of a non-finite value is invalid', () => {
  assert.equal(humanDuration(Number.NaN), '<invalid>');
});
