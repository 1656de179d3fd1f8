import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newHistory, normalizeWithBehavior, normalizeWithoutBehavior, recordScaleEvent, scaleDownLimit, scaleUpLimit, type Behavior } from './hpa-behavior.js';

const T = 1_000_000;
const S = 1000;

test('without behavior: scale-down waits for the highest recommendation of the window', () => {
  const h = newHistory(4, T);
  let n = normalizeWithoutBehavior(h, 2, 4, 1, 10, T + 10 * S, 60 * S);
  assert.equal(n.replicas, 4);
  assert.equal(n.ableReason, 'ScaleDownStabilized');
  n = normalizeWithoutBehavior(h, 2, 4, 1, 10, T + 61 * S, 60 * S);
  assert.equal(n.replicas, 2);
  assert.equal(n.ableReason, 'ReadyForNewScale');
  assert.equal(n.limited, false);
  assert.equal(n.limitReason, 'DesiredWithinRange');
});

test('without behavior: min/max and the scale-up limit max(2 x current, 4)', () => {
  const h = newHistory(1, T);
  let n = normalizeWithoutBehavior(h, 20, 1, 1, 10, T);
  assert.deepEqual([n.replicas, n.limited, n.limitReason], [4, true, 'ScaleUpLimit']);
  n = normalizeWithoutBehavior(newHistory(4, T), 20, 4, 1, 5, T);
  assert.deepEqual([n.replicas, n.limited, n.limitReason, n.limitMessage], [5, true, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count']);
  n = normalizeWithoutBehavior({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] }, 1, 3, 2, 5, T);
  assert.deepEqual([n.replicas, n.limited, n.limitReason], [2, true, 'TooFewReplicas']);
});

test('policies: Pods and Percent over the period, selectPolicy', () => {
  const rules = { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
  assert.equal(scaleUpLimit(2, [], rules, T), 6);
  assert.equal(scaleUpLimit(10, [], rules, T), 20);
  assert.equal(scaleUpLimit(10, [], { ...rules, selectPolicy: 'Min' }, T), 14);
  assert.equal(scaleUpLimit(10, [], { ...rules, selectPolicy: 'Disabled' }, T), 10);
  // 6 added 5 s ago: the period started at 4 -> max(8, 8).
  assert.equal(scaleUpLimit(10, [{ change: 6, timestamp: T - 5 * S }], rules, T), 8);
  // Down: 50% of the count at the period start, or 1 pod; Max takes the bigger drop.
  const down = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }, { type: 'Pods', value: 1, periodSeconds: 60 }] };
  assert.equal(scaleDownLimit(10, [], down, T), 5);
  assert.equal(scaleDownLimit(10, [], { ...down, selectPolicy: 'Min' }, T), 9);
  assert.equal(scaleDownLimit(5, [{ change: 5, timestamp: T - 10 * S }], down, T), 5);
});

test('with behavior: windows, rate limits and recorded events', () => {
  const behavior: Behavior = {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  };
  const h = newHistory(2, T);
  let n = normalizeWithBehavior(h, behavior, 5, 2, 1, 10, T + S);
  assert.deepEqual([n.replicas, n.limited, n.limitReason], [3, true, 'ScaleUpLimit']);
  recordScaleEvent(h, behavior, 2, 3, T + S);
  n = normalizeWithBehavior(h, behavior, 5, 3, 1, 10, T + 2 * S);
  assert.equal(n.replicas, 3); // one pod per minute, already used
  n = normalizeWithBehavior(h, behavior, 1, 3, 1, 10, T + 10 * S);
  assert.deepEqual([n.replicas, n.ableReason], [3, 'ScaleDownStabilized']);
  n = normalizeWithBehavior(h, behavior, 1, 3, 1, 10, T + 45 * S);
  assert.deepEqual([n.replicas, n.ableReason, n.limitReason], [1, 'ReadyForNewScale', 'DesiredWithinRange']);
  // An unset scale-down window is the controller's.
  const h2 = newHistory(3, T);
  n = normalizeWithBehavior(h2, { scaleUp: behavior.scaleUp, scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } }, 1, 3, 1, 10, T + 100 * S, 300 * S);
  assert.equal(n.replicas, 3);
});
