// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods
// that tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.

import type { NodeInfo } from '../node-info.js';
import { TAINT_UNSCHEDULABLE } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { tolerationsTolerate } from '../selectors.js';
import { unresolvable, type Status } from './status.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';

const CORDON_TAINT = { key: TAINT_UNSCHEDULABLE, value: '', effect: 'NoSchedule' };

export function nodeUnschedulableFilter(pod: PodInfo, node: NodeInfo): Status | null {
  if (!node.unschedulable) return null;
  if (tolerationsTolerate(pod.tolerations, CORDON_TAINT)) return null;
  return unresolvable(NODE_UNSCHEDULABLE, ERR_REASON_NODE_UNSCHEDULABLE);
}
