import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, backoffPolicyProblems, type BackoffPolicy, exponentialCeilingMs } from './backoff.js';

const full: BackoffPolicy = { strategy: 'full', baseMs: 100, capMs: 10_000 };
const decorrelated: BackoffPolicy = { strategy: 'decorrelated', baseMs: 100, capMs: 10_000 };
const top = () => 0.999999;
const bottom = () => 0;

test('exponential ceiling doubles per attempt and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((a) => exponentialCeilingMs(full, a)), [100, 200, 400, 800, 1600, 3200, 6400, 10_000]);
  assert.equal(exponentialCeilingMs(full, 5000), 10_000, 'huge attempt numbers do not overflow');
  assert.equal(exponentialCeilingMs(full, 0), 100);
});

test('full jitter spans [0, ceiling]', () => {
  for (const attempt of [1, 2, 3, 10, 100]) {
    assert.equal(backoffDelayMs(full, { attempt, random: bottom }), 0);
    const hi = backoffDelayMs(full, { attempt, random: top });
    assert.ok(hi <= exponentialCeilingMs(full, attempt) && hi >= exponentialCeilingMs(full, attempt) - 1, `attempt ${attempt}: ${hi}`);
  }
  assert.equal(backoffDelayMs(full, { attempt: 3, random: () => 0.5 }), 200);
});

test('decorrelated jitter spans [base, 3 × previous], capped', () => {
  assert.equal(backoffDelayMs(decorrelated, { attempt: 4, random: bottom }), 100);
  assert.equal(backoffDelayMs(decorrelated, { attempt: 2, previousDelayMs: 1000, random: () => 0.5 }), 1550);
  assert.equal(backoffDelayMs(decorrelated, { attempt: 2, previousDelayMs: 9000, random: top }), 9999);
  // Without the previous delay, its exponential ceiling stands in for it: attempt 4 → 3 × 400.
  assert.equal(backoffDelayMs(decorrelated, { attempt: 4, random: () => 0.5 }), 100 + Math.floor(0.5 * (1200 - 100)));
  assert.ok(backoffDelayMs(decorrelated, { attempt: 60, random: top }) <= 10_000);
});

test('delays stay within [0, cap] for any attempt and random draw', () => {
  for (const policy of [full, decorrelated]) {
    for (let attempt = 1; attempt <= 40; attempt++) {
      for (const r of [0, 0.1, 0.5, 0.9, 0.999999, 1, -1, 2]) {
        const d = backoffDelayMs(policy, { attempt, random: () => r });
        assert.ok(Number.isInteger(d) && d >= 0 && d <= policy.capMs, `${policy.strategy} attempt ${attempt} r=${r}: ${d}`);
      }
    }
  }
});

test('default random source is used when none is given', () => {
  const d = backoffDelayMs(full, { attempt: 3 });
  assert.ok(d >= 0 && d <= 400);
});

test('policy validation reports every problem', () => {
  assert.deepEqual(backoffPolicyProblems(full), []);
  const problems = backoffPolicyProblems({ strategy: 'linear' as BackoffPolicy['strategy'], baseMs: -1, capMs: Number.NaN });
  assert.equal(problems.length, 3);
});
