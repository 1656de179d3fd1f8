import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsProvider } from './stats.js';
import type { CgroupUsage } from '../runtime/cgroups.js';

test('summary: node and pod usage, CPU rate from two readings, memory available from the total', () => {
  let cpu = 1_000_000_000;
  const usage = (c: string): CgroupUsage => ({ cpuNanos: c === '' ? cpu * 4 : cpu, memoryUsageBytes: 300, memoryWorkingSetBytes: 200, memoryRssBytes: 100 });
  const stats = new StatsProvider('n1', '2026-01-01T00:00:00Z', usage, () => 1000);
  const pods = [{ name: 'p', namespace: 'ns', uid: 'u1', startTime: '2026-01-01T00:00:01Z', cgroup: '/kubepods/podu1', containers: [{ name: 'c', cgroup: '/kubepods/podu1/abc', startTime: '2026-01-01T00:00:02Z' }] }];
  const first = stats.summary(pods, 10_000);
  assert.equal(first.node.cpu.usageNanoCores, undefined);
  assert.equal(first.pods[0].cpu.usageCoreNanoSeconds, 1_000_000_000);
  cpu += 500_000_000; // half a core over the next second
  const second = stats.summary(pods, 11_000);
  assert.equal(second.pods[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.pods[0].containers[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.node.cpu.usageNanoCores, 2_000_000_000);
  assert.deepEqual(second.pods[0].podRef, { name: 'p', namespace: 'ns', uid: 'u1' });
  assert.equal(second.node.memory.availableBytes, 800);
  assert.equal(second.pods[0].memory.workingSetBytes, 200);
  // Within a second the previous reading is reused.
  cpu += 1;
  assert.equal(stats.summary(pods, 11_500).pods[0].cpu.usageCoreNanoSeconds, 1_500_000_000);
});
