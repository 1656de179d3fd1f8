// NodePorts: a pod's hostPorts must be free on the node (same protocol and
// port; 0.0.0.0 conflicts with every address).

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { unschedulable, type Status } from './status.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function nodePortsFilter(pod: PodInfo, node: NodeInfo): Status | null {
  for (const hp of pod.hostPorts) {
    if (node.portInUse(hp.protocol, hp.port, hp.ip)) return unschedulable(NODE_PORTS, ERR_REASON_NODE_PORTS);
  }
  return null;
}
