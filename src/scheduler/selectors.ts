// Compiled matchers the plugins share: node selector terms (nodeSelector,
// required and preferred node affinity), pod affinity terms (label selector
// plus namespaces / namespaceSelector plus topologyKey), and taints against
// tolerations. Compiled once per pod, evaluated per node.

import { NOTHING, selectorFromLabelSelectorObject, type LabelSelector } from '../api/labels.js';

export type Labels = Record<string, string>;

/** Whether a node (its labels and name) satisfies something. */
export type NodeMatcher = (labels: Labels, name: string) => boolean;

const NO_LABELS: Labels = Object.freeze({}) as Labels;

export function labelsOf(obj: any): Labels {
  return obj?.metadata?.labels ?? NO_LABELS;
}

/** A metav1.LabelSelector as a compiled selector; an invalid one selects nothing. */
export function labelSelector(obj: any): LabelSelector {
  try {
    return selectorFromLabelSelectorObject(obj);
  } catch {
    return NOTHING;
  }
}

function parseIntStrict(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function compileRequirement(req: any, field: boolean): NodeMatcher {
  const key: string = req?.key ?? '';
  const values: string[] = (req?.values ?? []).map(String);
  const get = field ? (_l: Labels, name: string) => (key === 'metadata.name' ? name : undefined) : (l: Labels) => l[key];
  switch (req?.operator) {
    case 'In': {
      const set = new Set(values);
      return (l, n) => {
        const v = get(l, n);
        return v !== undefined && set.has(v);
      };
    }
    case 'NotIn': {
      const set = new Set(values);
      return (l, n) => {
        const v = get(l, n);
        return v === undefined || !set.has(v);
      };
    }
    case 'Exists':
      return field ? () => false : (l) => key in l;
    case 'DoesNotExist':
      return field ? () => false : (l) => !(key in l);
    case 'Gt':
    case 'Lt': {
      if (field || values.length !== 1) return () => false;
      const bound = parseIntStrict(values[0]);
      if (bound === undefined) return () => false;
      const gt = req.operator === 'Gt';
      return (l) => {
        const raw = l[key];
        if (raw === undefined) return false;
        const v = parseIntStrict(raw);
        if (v === undefined) return false;
        return gt ? v > bound : v < bound;
      };
    }
    default:
      return () => false;
  }
}

/** One NodeSelectorTerm: its expressions and fields ANDed; a term with neither matches nothing. */
export function compileNodeSelectorTerm(term: any): NodeMatcher {
  const exprs = (term?.matchExpressions ?? []).map((r: any) => compileRequirement(r, false));
  const fields = (term?.matchFields ?? []).map((r: any) => compileRequirement(r, true));
  const all: NodeMatcher[] = [...exprs, ...fields];
  if (all.length === 0) return () => false;
  return (l, n) => {
    for (const m of all) if (!m(l, n)) return false;
    return true;
  };
}

/** A NodeSelector: terms ORed. */
export function compileNodeSelector(sel: any): NodeMatcher {
  const terms: NodeMatcher[] = (sel?.nodeSelectorTerms ?? []).map(compileNodeSelectorTerm);
  return (l, n) => {
    for (const t of terms) if (t(l, n)) return true;
    return false;
  };
}

/**
 * The pod's hard node constraints: spec.nodeSelector (every label equal) and
 * requiredDuringSchedulingIgnoredDuringExecution. Undefined when the pod has
 * neither (every node matches).
 */
export function compileRequiredNodeAffinity(pod: any): NodeMatcher | undefined {
  const spec = pod?.spec ?? {};
  const selector: Labels | undefined = spec.nodeSelector && Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const affinity = required ? compileNodeSelector(required) : undefined;
  if (!selector && !affinity) return undefined;
  const entries = selector ? Object.entries(selector) : [];
  return (l, n) => {
    for (const [k, v] of entries) if (l[k] !== v) return false;
    return affinity ? affinity(l, n) : true;
  };
}

export interface PreferredNodeTerm {
  weight: number;
  match: NodeMatcher;
}

export function compilePreferredNodeAffinity(pod: any): PreferredNodeTerm[] {
  const terms = pod?.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const out: PreferredNodeTerm[] = [];
  for (const t of terms) {
    const weight = Number(t?.weight ?? 0);
    if (!weight) continue;
    out.push({ weight, match: compileNodeSelectorTerm(t?.preference) });
  }
  return out;
}

// ---- pod affinity terms ----

export interface AffinityTerm {
  selector: LabelSelector;
  /** Explicit namespaces (the pod's own when neither namespaces nor namespaceSelector is given). */
  namespaces: ReadonlySet<string>;
  /** null: no selector; EVERYTHING for `{}` (all namespaces). */
  namespaceSelector: LabelSelector | null;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export function compileAffinityTerm(pod: any, term: any): AffinityTerm {
  const ns: string = pod?.metadata?.namespace ?? 'default';
  const explicit: string[] = term?.namespaces ?? [];
  const nsSelObj = term?.namespaceSelector;
  const namespaces = explicit.length === 0 && (nsSelObj === undefined || nsSelObj === null) ? new Set([ns]) : new Set(explicit);
  let namespaceSelector: LabelSelector | null = null;
  if (nsSelObj !== undefined && nsSelObj !== null) namespaceSelector = labelSelector(nsSelObj);
  return { selector: labelSelector(term?.labelSelector), namespaces, namespaceSelector, topologyKey: term?.topologyKey ?? '' };
}

/** Whether a pod falls under the term. `nsLabels` looks up namespace labels for namespaceSelector. */
export function affinityTermMatches(term: AffinityTerm, podNamespace: string, podLabels: Labels, nsLabels: (ns: string) => Labels | undefined): boolean {
  if (!term.namespaces.has(podNamespace)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.isEverything() && !term.namespaceSelector.matches(nsLabels(podNamespace) ?? NO_LABELS)) return false;
  }
  return term.selector.matches(podLabels);
}

// ---- taints and tolerations ----

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: any, taint: Taint): boolean {
  if (t?.effect && t.effect !== taint.effect) return false;
  if (t?.key && t.key !== taint.key) return false;
  const op = t?.operator ?? '';
  if (op === '' || op === 'Equal') return (t?.value ?? '') === (taint.value ?? '');
  return op === 'Exists';
}

export function tolerationsTolerate(tolerations: readonly any[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}
