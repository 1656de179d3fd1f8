import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSimulatedNode, simulatedSummary } from './sim-metrics.js';

const node = { metadata: { name: 'sim-node-0' }, status: { nodeInfo: { containerRuntimeVersion: 'kts-sim://0.1' } } };
const pod = (name: string, annotations: Record<string, string>, phase = 'Running') => ({
  metadata: { name, namespace: 'ns', uid: name, annotations },
  spec: { nodeName: 'sim-node-0', containers: [{ name: 'app' }, { name: 'side' }] },
  status: { phase },
});

test('simulated nodes are recognized by their runtime only', () => {
  assert.equal(isSimulatedNode(node), true);
  assert.equal(isSimulatedNode({ status: { nodeInfo: { containerRuntimeVersion: 'containerd://1.7' } } }), false);
});

test('a summary from the pods annotations: per pod, per container override, only Running pods', () => {
  const s = simulatedSummary(node, [
    pod('a', { 'sim.kts.io/cpu-usage': '250m', 'sim.kts.io/memory-usage': '64Mi', 'sim.kts.io/usage.side': 'cpu=10m' }),
    pod('b', {}),
    pod('c', { 'sim.kts.io/cpu-usage': '1' }, 'Pending'),
  ]);
  assert.deepEqual(
    s.pods.map((p: any) => [p.podRef.name, p.containers.map((c: any) => [c.name, c.cpu.usageNanoCores, c.memory.workingSetBytes])]),
    [
      ['a', [['app', 250_000_000, 64 * 2 ** 20], ['side', 10_000_000, 64 * 2 ** 20]]],
      ['b', [['app', 0, 0], ['side', 0, 0]]],
    ],
  );
  assert.equal(s.node.cpu.usageNanoCores, 260_000_000);
  assert.equal(s.node.memory.workingSetBytes, 128 * 2 ** 20);
});
