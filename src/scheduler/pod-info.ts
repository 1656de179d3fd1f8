// A pod as the scheduler sees it: the object plus everything derived from it
// once (requests, host ports, compiled affinity terms), so per-node checks
// never re-parse the spec.

import { podRequests, type Resource } from './resources.js';
import {
  compileAffinityTerm,
  compilePreferredNodeAffinity,
  compileRequiredNodeAffinity,
  labelsOf,
  type AffinityTerm,
  type Labels,
  type NodeMatcher,
  type PreferredNodeTerm,
  type WeightedAffinityTerm,
} from './selectors.js';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** The key a pod is tracked under: its uid, or namespace/name when it has none (tests). */
export function podKey(pod: any): string {
  const m = pod?.metadata ?? {};
  return m.uid || `${m.namespace ?? ''}/${m.name ?? ''}`;
}

export function podFullName(pod: any): string {
  return `${pod?.metadata?.namespace ?? ''}/${pod?.metadata?.name ?? ''}`;
}

const UNSET = Symbol('unset');

export class PodInfo {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** Effective requests (for NodeResourcesFit). */
  readonly requests: Resource;
  /** Requests with cpu/memory defaults for containers that set none (for scoring). */
  readonly nonZero: Resource;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  readonly terminating: boolean;
  private requiredNodeAffinityCache: NodeMatcher | undefined | typeof UNSET = UNSET;
  private preferredNodeAffinityCache: PreferredNodeTerm[] | undefined;

  constructor(readonly pod: any) {
    const m = pod?.metadata ?? {};
    this.key = podKey(pod);
    this.namespace = m.namespace ?? '';
    this.name = m.name ?? '';
    this.labels = labelsOf(pod);
    this.requests = podRequests(pod, false);
    this.nonZero = podRequests(pod, true);
    this.hostPorts = hostPortsOf(pod);
    const a = pod?.spec?.affinity;
    this.requiredAffinityTerms = (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => compileAffinityTerm(pod, t));
    this.requiredAntiAffinityTerms = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any) => compileAffinityTerm(pod, t));
    this.preferredAffinityTerms = weighted(pod, a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinityTerms = weighted(pod, a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.terminating = !!m.deletionTimestamp;
  }

  /** Has any pod affinity or anti-affinity term (required or preferred). */
  get hasAffinity(): boolean {
    return (
      this.requiredAffinityTerms.length + this.requiredAntiAffinityTerms.length + this.preferredAffinityTerms.length + this.preferredAntiAffinityTerms.length > 0
    );
  }

  get tolerations(): readonly any[] {
    return this.pod?.spec?.tolerations ?? [];
  }

  /** nodeSelector plus required node affinity; undefined when the pod has neither. */
  get requiredNodeAffinity(): NodeMatcher | undefined {
    if (this.requiredNodeAffinityCache === UNSET) this.requiredNodeAffinityCache = compileRequiredNodeAffinity(this.pod);
    return this.requiredNodeAffinityCache;
  }

  get preferredNodeAffinity(): PreferredNodeTerm[] {
    return (this.preferredNodeAffinityCache ??= compilePreferredNodeAffinity(this.pod));
  }

  /** The same pod placed on a node (what the scheduler assumes while binding). */
  withNodeName(nodeName: string): PodInfo {
    const pod = { ...this.pod, spec: { ...this.pod.spec, nodeName } };
    // Everything derived stays valid: only the pod object changes.
    return Object.assign(Object.create(PodInfo.prototype) as PodInfo, this, { pod });
  }
}

function weighted(pod: any, terms: any[] | undefined): WeightedAffinityTerm[] {
  if (!terms) return [];
  return terms.map((t) => ({ ...compileAffinityTerm(pod, t?.podAffinityTerm), weight: Number(t?.weight ?? 0) }));
}

function hostPortsOf(pod: any): HostPort[] {
  const out: HostPort[] = [];
  const add = (containers: any[] | undefined, sidecarsOnly: boolean) => {
    for (const c of containers ?? []) {
      if (sidecarsOnly && c?.restartPolicy !== 'Always') continue;
      for (const p of c?.ports ?? []) {
        const port = Number(p?.hostPort ?? 0);
        if (!(port > 0)) continue;
        out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port });
      }
    }
  };
  add(pod?.spec?.containers, false);
  add(pod?.spec?.initContainers, true);
  return out;
}
