// Applying mutating webhooks' JSONPatches: in place, defaults again, no-op
// patches reported as unchanged, bad patches as internal errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceRegistry } from '../../api/registry.js';
import { ApiError } from '../errors.js';
import { applyWebhookPatch } from './webhooks.js';

const pods = new ResourceRegistry().get('', 'v1', 'pods')!;
const b64 = (ops: unknown) => Buffer.from(JSON.stringify(ops)).toString('base64');

test('patches apply in order, in place, and the patched object is defaulted', () => {
  const pod: any = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const ref = pod;
  assert.equal(applyWebhookPatch(pods, pod, b64([{ op: 'add', path: '/metadata/labels/b', value: '2' }])), true);
  assert.equal(
    applyWebhookPatch(pods, pod, b64([{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox:1' } }, { op: 'replace', path: '/metadata/labels/b', value: '3' }])),
    true,
  );
  assert.equal(ref, pod);
  assert.deepEqual(pod.metadata.labels, { a: '1', b: '3' });
  assert.equal(pod.spec.containers[1].name, 'sidecar');
  // The added container got its defaults, as a decoded request body would.
  assert.equal(pod.spec.containers[1].imagePullPolicy, 'IfNotPresent');
  assert.equal(pod.spec.containers[1].terminationMessagePath, '/dev/termination-log');
});

test('a patch that changes nothing reports unchanged; a bad patch is a 500', () => {
  const pod: any = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  applyWebhookPatch(pods, pod, b64([]));
  assert.equal(applyWebhookPatch(pods, pod, b64([{ op: 'replace', path: '/metadata/labels/a', value: '1' }])), false);
  assert.throws(
    () => applyWebhookPatch(pods, pod, b64([{ op: 'remove', path: '/metadata/annotations/x' }])),
    (e: unknown) => e instanceof ApiError && e.code === 500 && e.status.reason === 'InternalError',
  );
  assert.throws(() => applyWebhookPatch(pods, pod, Buffer.from('not json').toString('base64')), (e: unknown) => e instanceof ApiError && e.code === 500);
});
