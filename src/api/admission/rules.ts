// Which admission webhooks and policies a request matches: rules
// (operations, apiGroups, apiVersions, resources with subresources, scope),
// namespaceSelector and objectSelector, as upstream's webhook and policy
// matchers decide. Pure: the caller supplies the namespace's labels.

import { matches, selectorFromLabelSelectorObject, type LabelSelectorObject } from '../labels.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GVR {
  group: string;
  version: string;
  resource: string;
}

/** The request, as matching sees it. */
export interface MatchRequest {
  operation: Operation;
  resource: GVR;
  subresource: string;
  /** The request's namespace ('' for cluster-scoped objects; a Namespace's own name for namespaces). */
  namespace: string;
  name: string;
  object?: any;
  oldObject?: any;
}

export interface Rule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).some((x) => x === '*' || x === v);

function resourceMatches(entries: string[] | undefined, resource: string, subresource: string): boolean {
  for (const e of entries ?? []) {
    if (e === '*/*') return true;
    const [r, s] = e.includes('/') ? [e.slice(0, e.indexOf('/')), e.slice(e.indexOf('/') + 1)] : [e, undefined];
    if (s === undefined) {
      // A plain entry ('pods' or '*') names main resources only.
      if (!subresource && (r === '*' || r === resource)) return true;
    } else if (subresource && (r === '*' || r === resource) && (s === '*' || s === subresource)) {
      return true;
    }
  }
  return false;
}

function isNamespaceResource(r: GVR): boolean {
  return r.group === '' && r.resource === 'namespaces';
}

function scopeMatches(scope: string | undefined, req: Pick<MatchRequest, 'resource' | 'namespace'>): boolean {
  if (!scope || scope === '*') return true;
  // Namespaces are cluster-scoped, although their requests carry their own name as namespace.
  if (scope === 'Namespaced') return !isNamespaceResource(req.resource) && req.namespace !== '';
  if (scope === 'Cluster') return isNamespaceResource(req.resource) || req.namespace === '';
  return false;
}

/** Whether one RuleWithOperations matches the request for the given resource (the request's or an equivalent one). */
export function ruleMatches(rule: Rule, req: MatchRequest, gvr: GVR = req.resource, operation: string = req.operation): boolean {
  return (
    has(rule.operations, operation) &&
    has(rule.apiGroups, gvr.group) &&
    has(rule.apiVersions, gvr.version) &&
    resourceMatches(rule.resources, gvr.resource, req.subresource) &&
    scopeMatches(rule.scope, req)
  );
}

export function anyRuleMatches(rules: Rule[] | undefined, req: MatchRequest, gvr?: GVR): boolean {
  return (rules ?? []).some((r) => ruleMatches(r, req, gvr));
}

/**
 * The resource a webhook is called for: the request's own when a rule names
 * it; with matchPolicy Equivalent, else the first equivalent resource (the
 * same objects served under another version) a rule names.
 */
export function matchedResource(rules: Rule[] | undefined, matchPolicy: string | undefined, req: MatchRequest, equivalents: GVR[]): GVR | undefined {
  if (anyRuleMatches(rules, req)) return req.resource;
  if (matchPolicy === 'Exact') return undefined;
  return equivalents.find((g) => anyRuleMatches(rules, req, g));
}

function selectorMatches(sel: LabelSelectorObject | null | undefined, labels: Record<string, string> | undefined): boolean {
  return matches(selectorFromLabelSelectorObject(sel ?? {}), labels ?? {});
}

function isEmptySelector(sel: LabelSelectorObject | null | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/**
 * namespaceSelector: cluster-scoped objects other than namespaces always
 * match; a Namespace is matched on its own labels (the new object's, or the
 * old one's for deletes); anything else on its namespace's labels.
 */
export function namespaceSelectorMatches(sel: LabelSelectorObject | null | undefined, req: MatchRequest, namespaceLabels: Record<string, string> | undefined): boolean {
  if (isEmptySelector(sel)) return true;
  if (isNamespaceResource(req.resource) && !req.subresource) {
    const ns = req.object ?? req.oldObject;
    return selectorMatches(sel, ns?.metadata?.labels);
  }
  if (req.namespace === '') return true;
  return selectorMatches(sel, namespaceLabels);
}

/** objectSelector: the new object's or the old object's labels match. */
export function objectSelectorMatches(sel: LabelSelectorObject | null | undefined, req: MatchRequest): boolean {
  if (isEmptySelector(sel)) return true;
  const on = (o: any) => o != null && selectorMatches(sel, o.metadata?.labels);
  return on(req.object) || on(req.oldObject);
}
