import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podRequests, quantityMilliValue, quantityValue, resourceFromList } from './resources.js';
import { PodInfo } from './pod-info.js';
import { makePod } from './test-helpers.js';

test('quantities: milli-CPU and byte values, rounded up as Quantity.Value/MilliValue', () => {
  assert.equal(quantityMilliValue('100m'), 100);
  assert.equal(quantityMilliValue('2'), 2000);
  assert.equal(quantityMilliValue('1.5'), 1500);
  assert.equal(quantityMilliValue('0.1'), 100);
  assert.equal(quantityMilliValue('1u'), 1); // rounds up to a whole milli
  assert.equal(quantityValue('1Gi'), 1024 ** 3);
  assert.equal(quantityValue('128Mi'), 128 * 1024 ** 2);
  assert.equal(quantityValue('1G'), 1e9);
  assert.equal(quantityValue('1k'), 1000);
  assert.equal(quantityValue('500m'), 1); // Value() rounds 0.5 up
  assert.equal(quantityValue('110'), 110);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(quantityValue('garbage'), 0);
  assert.equal(quantityValue(undefined), 0);
});

test('allocatable list: cpu, memory, ephemeral-storage, pods and extended resources', () => {
  const r = resourceFromList({ cpu: '4', memory: '8Gi', 'ephemeral-storage': '10Gi', pods: '110', 'example.com/gpu': '2', 'hugepages-2Mi': '1Gi' });
  assert.equal(r.milliCPU, 4000);
  assert.equal(r.memory, 8 * 1024 ** 3);
  assert.equal(r.ephemeralStorage, 10 * 1024 ** 3);
  assert.equal(r.allowedPodNumber, 110);
  assert.equal(r.scalar?.get('example.com/gpu'), 2);
  assert.equal(r.scalar?.get('hugepages-2Mi'), 1024 ** 3);
});

test('pod requests: containers summed, init containers as a maximum, plus overhead', () => {
  const pod = makePod('p', { cpu: '1', memory: '1Gi', overhead: { cpu: '250m', memory: '120Mi' } });
  pod.spec.containers.push({ name: 'b', image: 'x', resources: { requests: { cpu: '500m' } } });
  pod.spec.initContainers = [
    { name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '512Mi' } } },
    { name: 'i2', image: 'x', resources: { requests: { memory: '3Gi' } } },
  ];
  const r = podRequests(pod);
  // cpu: max(1 + 0.5, 2) + 0.25; memory: max(1Gi, 3Gi) + 120Mi
  assert.equal(r.milliCPU, 2250);
  assert.equal(r.memory, 3 * 1024 ** 3 + 120 * 1024 ** 2);
});

test('pod requests: restartable init containers (sidecars) run alongside everything after them', () => {
  const pod = makePod('p', { cpu: '1' });
  pod.spec.initContainers = [
    { name: 'sidecar', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
    { name: 'init', image: 'x', resources: { requests: { cpu: '2' } } },
    { name: 'sidecar2', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
  ];
  // Init phase peak: sidecar 0.5 + init 2 = 2.5; running: 1 + 0.5 + 0.1 = 1.6 -> 2.5
  assert.equal(podRequests(pod).milliCPU, 2500);
  pod.spec.initContainers[1].resources.requests.cpu = '100m';
  // Peak now the running phase: 1 + 0.5 + 0.1
  assert.equal(podRequests(pod).milliCPU, 1600);
});

test('non-zero requests: containers without cpu/memory count 100m and 200Mi for scoring', () => {
  const pod = makePod('p', { cpu: '300m' });
  pod.spec.containers.push({ name: 'b', image: 'x' });
  const nz = podRequests(pod, true);
  assert.equal(nz.milliCPU, 400);
  assert.equal(nz.memory, 2 * 200 * 1024 ** 2);
  const pi = new PodInfo(pod);
  assert.equal(pi.requests.milliCPU, 300);
  assert.equal(pi.requests.memory, 0);
});

test('extended resources and host ports are derived once per pod', () => {
  const pi = new PodInfo(makePod('p', { requests: { 'example.com/gpu': '1' }, hostPorts: [{ hostPort: 8080 }, { hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] }));
  assert.equal(pi.requests.scalar?.get('example.com/gpu'), 1);
  assert.deepEqual(pi.hostPorts, [
    { ip: '0.0.0.0', protocol: 'TCP', port: 8080 },
    { ip: '10.0.0.1', protocol: 'UDP', port: 53 },
  ]);
});
