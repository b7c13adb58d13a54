// common/ahead.ts: loading groups of files at once, the next group ahead of the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eachLoadedAhead, groupsOf } from '../../common/ahead.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('groupsOf cuts a list in groups of a size, the last one shorter', () => {
  assert.deepEqual(groupsOf([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(groupsOf([], 3), []);
});

test('results come one at a time in input order; a group loads at once and the next one before the caller gets the current one', async () => {
  const events: string[] = [];
  let inFlight = 0;
  let most = 0;
  const load = async (n: number) => {
    events.push(`load ${n}`);
    most = Math.max(most, ++inFlight);
    // Later items finish first: the order of results must not follow the order of completion.
    for (let k = 0; k < 10 - n; k++) await tick();
    inFlight--;
    return n * 10;
  };
  const got: number[] = [];
  for await (const value of eachLoadedAhead([0, 1, 2, 3, 4], 2, load)) {
    events.push(`use ${value}`);
    got.push(value);
  }
  assert.deepEqual(got, [0, 10, 20, 30, 40]);
  assert.deepEqual(events, ['load 0', 'load 1', 'load 2', 'load 3', 'use 0', 'use 10', 'load 4', 'use 20', 'use 30', 'use 40']);
  assert.equal(most, 2);
});

test('the first failing item in order is thrown, and a group started ahead that fails is never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const load = async (n: number) => {
    if (n === 0) {
      await tick();
      throw new Error('item 0 failed');
    }
    if (n === 1 || n === 3) throw new Error(`item ${n} failed`);
    return n;
  };
  await assert.rejects(async () => {
    for await (const _ of eachLoadedAhead([0, 1, 2, 3], 2, load));
  }, /item 0 failed/);
  // The caller stops at the first group (an error of its own); the second group, loaded ahead, fails.
  await assert.rejects(async () => {
    for await (const value of eachLoadedAhead([2, 4, 3, 5], 2, load)) if (value === 4) throw new Error('the caller stopped');
  }, /the caller stopped/);
  await tick();
  await tick();
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, []);
});
