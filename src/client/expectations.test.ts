import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS, UIDTrackingControllerExpectations } from './expectations.js';

test('no record means satisfied; expected adds and deletes must all be observed', () => {
  const e = new ControllerExpectations();
  assert.equal(e.satisfied('ns/rs'), true);
  e.setExpectations('ns/rs', 2, 1);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  e.deletionObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  assert.deepEqual({ ...e.get('ns/rs'), timestamp: 0 }, { add: 0, del: 0, timestamp: 0 });
  // Extra observations (pods the controller did not create) do not break anything.
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
  e.deleteExpectations('ns/rs');
  assert.equal(e.get('ns/rs'), undefined);
  e.creationObserved('other'); // no record: ignored
  assert.equal(e.get('other'), undefined);
});

test('raise adds to outstanding expectations; lower subtracts', () => {
  const e = new ControllerExpectations();
  e.raiseExpectations('k', 1, 0);
  e.raiseExpectations('k', 2, 1);
  assert.equal(e.get('k')!.add, 3);
  assert.equal(e.get('k')!.del, 1);
  e.lowerExpectations('k', 3, 1);
  assert.equal(e.satisfied('k'), true);
  e.expectCreations('k', 1);
  assert.equal(e.satisfied('k'), false);
  e.expectDeletions('k', 0);
  assert.equal(e.satisfied('k'), true);
});

test('expectations expire after five minutes', () => {
  let now = 1_000_000;
  const e = new ControllerExpectations({ now: () => now });
  e.expectCreations('k', 5);
  now += EXPECTATIONS_TIMEOUT_MS;
  assert.equal(e.satisfied('k'), false, 'not yet: exactly at the timeout');
  now += 1;
  assert.equal(e.satisfied('k'), true);
  e.expectCreations('k', 5); // a fresh record starts a fresh clock
  assert.equal(e.satisfied('k'), false);
});

test('UID tracking counts each deleted object once', () => {
  const e = new UIDTrackingControllerExpectations();
  e.expectDeletionsOf('ns/rs', ['ns/p1', 'ns/p2']);
  assert.equal(e.satisfied('ns/rs'), false);
  e.deletionObservedOf('ns/rs', 'ns/p1');
  e.deletionObservedOf('ns/rs', 'ns/p1'); // update with deletionTimestamp, then the delete itself
  assert.equal(e.satisfied('ns/rs'), false);
  assert.deepEqual(e.pendingDeletions('ns/rs'), ['ns/p2']);
  e.deletionObservedOf('ns/rs', 'ns/unrelated');
  assert.equal(e.satisfied('ns/rs'), false);
  e.deletionObservedOf('ns/rs', 'ns/p2');
  assert.equal(e.satisfied('ns/rs'), true);
  e.deleteExpectations('ns/rs');
  assert.deepEqual(e.pendingDeletions('ns/rs'), []);
});
