import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRetry, retryDelayMs, type RetryPolicy, retryPolicyProblems } from './retry-schedule.js';

const policy: RetryPolicy = { retryDelaysMs: [1_000, 2_000, 5_000], backoffBaseMs: 10_000, backoffCapMs: 3_600_000, retryHorizonMs: 86_400_000 };

test('the first retries come within seconds, then exponential backoff with jitter, capped', () => {
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(policy, n)), [1_000, 2_000, 5_000]);
  const top = () => 0.999999;
  const bottom = () => 0;
  assert.equal(retryDelayMs(policy, 4, bottom), 5_000);
  assert.ok(retryDelayMs(policy, 4, top) <= 10_000 && retryDelayMs(policy, 4, top) >= 9_999);
  assert.ok(retryDelayMs(policy, 5, top) >= 19_999);
  assert.ok(retryDelayMs(policy, 60, top) <= 3_600_000);
  assert.ok(retryDelayMs(policy, 5000, bottom) >= 1_800_000, 'no overflow at huge attempt counts');
});

test('retries keep going until the horizon, the last one lands on it, then dead', () => {
  const scheduledAtMs = 1_000_000;
  let now = scheduledAtMs;
  let failures = 0;
  let attempts = 0;
  for (;;) {
    failures += 1;
    attempts += 1;
    const d = nextRetry(policy, { failures, scheduledAtMs, nowMs: now, random: () => 0.5 });
    if (d.kind === 'dead') break;
    assert.ok(d.atMs > now && d.atMs <= scheduledAtMs + policy.retryHorizonMs);
    now = d.atMs;
  }
  assert.equal(now, scheduledAtMs + policy.retryHorizonMs, 'the last attempt is at the horizon');
  assert.ok(attempts > 20, `well beyond ApsaraVideo's three tries (${attempts})`);
});

test('policy problems are reported', () => {
  assert.deepEqual(retryPolicyProblems(policy), []);
  assert.equal(retryPolicyProblems({ ...policy, backoffCapMs: 1, retryHorizonMs: 0, retryDelaysMs: [-1] }).length, 3);
});
