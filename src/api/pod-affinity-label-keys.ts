// matchLabelKeys and mismatchLabelKeys of pod (anti-)affinity terms, as the
// API server applies them when a pod is created (upstream's pod strategy,
// MatchLabelKeysInPodAffinity, on by default since 1.31): each key the pod
// has a label for becomes a requirement of the term's labelSelector,
// `key In (value)` for matchLabelKeys and `key NotIn (value)` for
// mismatchLabelKeys. Terms without a labelSelector are left alone, and the
// keys stay in the term. Only on create: later the selector is what it is.

function mergeTerm(term: any, labels: Record<string, string>): void {
  if (!term || typeof term !== 'object' || !term.labelSelector || typeof term.labelSelector !== 'object') return;
  const add: any[] = [];
  for (const [keys, operator] of [[term.matchLabelKeys, 'In'], [term.mismatchLabelKeys, 'NotIn']] as const) {
    if (!Array.isArray(keys)) continue;
    for (const key of keys) {
      if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(labels, key)) add.push({ key, operator, values: [labels[key]] });
    }
  }
  if (!add.length) return;
  const exprs = Array.isArray(term.labelSelector.matchExpressions) ? term.labelSelector.matchExpressions : [];
  term.labelSelector.matchExpressions = [...exprs, ...add];
}

/** Merges the label keys of every pod (anti-)affinity term into its labelSelector, in place. */
export function applyAffinityLabelKeys(pod: any): void {
  const labels: Record<string, string> = pod?.metadata?.labels ?? {};
  const affinity = pod?.spec?.affinity;
  if (!affinity || typeof affinity !== 'object') return;
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = affinity[kind];
    if (!a || typeof a !== 'object') continue;
    for (const t of Array.isArray(a.requiredDuringSchedulingIgnoredDuringExecution) ? a.requiredDuringSchedulingIgnoredDuringExecution : []) mergeTerm(t, labels);
    for (const w of Array.isArray(a.preferredDuringSchedulingIgnoredDuringExecution) ? a.preferredDuringSchedulingIgnoredDuringExecution : []) mergeTerm(w?.podAffinityTerm, labels);
  }
}
