// ImageLocality: prefers nodes that already have the pod's images, weighted
// by image size and by how widely the image is spread (an image on every
// node says little), clamped between 23 MiB and 1000 MiB per container.

import type { ClusterView, NodeInfo } from '../node-info.js';
import { normalizedImageName } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { MAX_NODE_SCORE } from './status.js';

export const IMAGE_LOCALITY = 'ImageLocality';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export function imageLocalityScore(pod: PodInfo, node: NodeInfo, view: Pick<ClusterView, 'imageNodeCount'>, totalNodes: number): number {
  const spec = pod.pod?.spec ?? {};
  const containers: any[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  if (containers.length === 0 || totalNodes === 0) return 0;
  let sum = 0;
  if (node.images.size > 0) {
    for (const c of containers) {
      if (!c?.image) continue;
      const name = normalizedImageName(String(c.image));
      const size = node.images.get(name);
      if (size === undefined) continue;
      sum += Math.trunc(size * (view.imageNodeCount(name) / totalNodes));
    }
  }
  const max = MAX_CONTAINER_THRESHOLD * containers.length;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}
