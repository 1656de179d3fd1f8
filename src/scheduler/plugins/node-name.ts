// NodeName: a pod that names its node fits only there. (Pods with
// spec.nodeName are not normally queued at all; this keeps the filter set
// complete for callers that evaluate such pods, as preemption dry runs may.)

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { unresolvable, type Status } from './status.js';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeNameFilter(pod: PodInfo, node: NodeInfo): Status | null {
  const wanted: string | undefined = pod.pod?.spec?.nodeName;
  if (!wanted || wanted === node.name) return null;
  return unresolvable(NODE_NAME, ERR_REASON_NODE_NAME);
}
