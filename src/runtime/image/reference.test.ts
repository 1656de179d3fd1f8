import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeImageReference, parseImageReference } from './reference.js';

test('normalization matches containerd and the CRI', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app:v1', 'docker.io/user/app:v1'],
    ['index.docker.io/user/app', 'docker.io/user/app:latest'],
    ['kts.local/busybox:1.36', 'kts.local/busybox:1.36'],
    ['kts.local/pause', 'kts.local/pause:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c:tag_1.x-y', 'localhost:5000/a/b/c:tag_1.x-y'],
    ['Registry/app', 'Registry/app:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['a__b/c-d--e/f.g', 'docker.io/a__b/c-d--e/f.g:latest'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeImageReference(input), want, input);
});

test('digest references keep the digest and get no default tag', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(normalizeImageReference(`busybox@${d}`), `docker.io/library/busybox@${d}`);
  assert.equal(normalizeImageReference(`kts.local/busybox:1@${d}`), `kts.local/busybox:1@${d}`);
  assert.deepEqual(parseImageReference(`kts.local/x@${d}`), { domain: 'kts.local', path: 'x', tag: undefined, digest: d });
});

test('invalid references are rejected with the reason', () => {
  assert.throws(() => parseImageReference(''), /empty name/);
  assert.throws(() => parseImageReference(':tag'), /empty name/);
  assert.throws(() => parseImageReference('Busybox'), /must be lowercase/);
  assert.throws(() => parseImageReference('kts.local/Busybox'), /must be lowercase/);
  assert.throws(() => parseImageReference('busybox:bad tag'), /bad tag/);
  assert.throws(() => parseImageReference('busybox@sha256:abc'), /bad digest/);
  assert.throws(() => parseImageReference('a//b'), /bad path component/);
  assert.throws(() => parseImageReference('-bad.domain/x'), /bad domain/);
  assert.throws(() => parseImageReference(`kts.local/${'a'.repeat(260)}`), /longer than 255/);
});
