// Simulated nodes for scale runs and fast control-plane tests.

import type { ApiClient } from '../client/types.js';
import { NodeSimulator, type NodeSimulatorOptions } from './simulator.js';

export { NodeSimulator, type NodeSimulatorOptions, type NodeSimulatorStats } from './simulator.js';
export { EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION } from './pod-status.js';
export { SIM_NODE_LABEL, SIM_NODE_LABEL_VALUE, NODE_LEASE_NAMESPACE } from './node-object.js';
export { PeriodicScheduler, type PeriodicOptions } from './periodic.js';

/** Creates a NodeSimulator and starts it; resolves once every node is registered. */
export async function startSimulatedNodes(client: ApiClient, opts: NodeSimulatorOptions): Promise<NodeSimulator> {
  const sim = new NodeSimulator(client, opts);
  try {
    await sim.start();
  } catch (e) {
    await sim.stop();
    throw e;
  }
  return sim;
}
