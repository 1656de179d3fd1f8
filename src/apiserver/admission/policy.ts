// ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): every
// ValidatingAdmissionPolicyBinding whose policy and own matchResources match
// a write evaluates the policy's CEL validations with `object`, `oldObject`,
// `request`, `params`, `namespaceObject` and `variables`, and acts on the
// failures as its validationActions say (Deny: the request is refused with
// upstream's message; Warn: a Warning header; Audit: not recorded, kts's audit
// log has no annotations yet). Policies and bindings come from the watch
// caches; expressions are compiled once.

import type { ResourceInfo } from '../../api/registry.js';
import { matchedResource, namespaceSelectorMatches, objectSelectorMatches, type MatchRequest, type Rule } from '../../api/admission/rules.js';
import { compileCel, evalCelBool, evalCelString, lazyVariables, toCel } from '../../api/admission/cel.js';
import { matches, selectorFromLabelSelectorObject } from '../../api/labels.js';
import { failure, qualifiedResource, type ApiError } from '../errors.js';
import type { AdmissionAttributes } from '../rest.js';
import { resourcePrefix } from '../objects.js';
import type { AdmissionHost } from './index.js';
import { admissionRequest, equivalentResources, isExemptFromDynamicAdmission, matchRequestOf, namespaceObject } from './request.js';

const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

interface Decision {
  policy: string;
  binding: string;
  message: string;
  reason: string;
  actions: string[];
}

/** A rule list with resourceNames (NamedRuleWithOperations): names restrict the match. */
function namedRulesMatch(rules: Array<Rule & { resourceNames?: string[] }> | undefined, req: MatchRequest, gvrOk: (r: Rule) => boolean): boolean {
  return (rules ?? []).some((r) => gvrOk(r) && (!(r.resourceNames ?? []).length || r.resourceNames!.includes(req.name)));
}

export class PolicyAdmission {
  constructor(private readonly host: AdmissionHost) {}

  private list(resource: string): any[] {
    const info = this.host.registry.get('admissionregistration.k8s.io', 'v1', resource);
    if (!info) return [];
    return this.host
      .cacheFor(info)
      .list(resourcePrefix(info))
      .map((c) => c.obj);
  }

  /** Whether a MatchResources (a policy's matchConstraints or a binding's matchResources) selects the request. */
  private matchResources(mr: any, req: MatchRequest, info: ResourceInfo, requireRules: boolean): boolean {
    if (!mr) return !requireRules;
    if (!namespaceSelectorMatches(mr.namespaceSelector, req, namespaceObject(this.host, req)?.metadata?.labels)) return false;
    if (!objectSelectorMatches(mr.objectSelector, req)) return false;
    const eq = equivalentResources(this.host, info);
    const matchesRule = (r: Rule) => matchedResource([r], mr.matchPolicy, req, eq) !== undefined;
    if (namedRulesMatch(mr.excludeResourceRules, req, matchesRule)) return false;
    const rules = mr.resourceRules ?? [];
    if (rules.length === 0) return !requireRules;
    return namedRulesMatch(rules, req, matchesRule);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptFromDynamicAdmission(a.info)) return;
    const bindings = this.list('validatingadmissionpolicybindings');
    if (bindings.length === 0) return;
    const policies = new Map(this.list('validatingadmissionpolicies').map((p) => [p.metadata.name, p]));
    const req = matchRequestOf(a);
    const decisions: Decision[] = [];
    for (const b of bindings) {
      const p = policies.get(b.spec?.policyName);
      if (!p) continue;
      if (!this.matchResources(p.spec?.matchConstraints, req, a.info, true)) continue;
      if (!this.matchResources(b.spec?.matchResources, req, a.info, false)) continue;
      decisions.push(...this.evaluate(p, b, a, req));
    }
    for (const d of decisions) {
      if (d.actions.includes('Warn')) a.warnings?.add(`Validation failed for ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}': ${d.message}`);
    }
    const deny = decisions.find((d) => d.actions.includes('Deny'));
    if (deny) throw this.denial(a, req, deny);
  }

  private denial(a: AdmissionAttributes, req: MatchRequest, d: Decision): ApiError {
    const message = `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`;
    const name = req.name || 'Unknown';
    const full = `${qualifiedResource(a.info.group, a.info.resource)} ${JSON.stringify(name)} is forbidden: ${message}`;
    const details: any = { name, kind: a.info.resource, causes: [{ message }] };
    if (a.info.group) details.group = a.info.group;
    return failure(REASON_CODES[d.reason] ?? 422, d.reason, full, details);
  }

  /** The params objects a binding names; undefined when the binding does not apply (Allow with none found). */
  private params(p: any, b: any, req: MatchRequest): { params: any[] } | { error: string } | undefined {
    const kind = p.spec?.paramKind;
    if (!kind) return { params: [null] };
    const ref = b.spec?.paramRef;
    if (!ref) return { error: `failed to configure binding: paramRef is required when paramKind is set` };
    const [group, version] = String(kind.apiVersion).includes('/') ? String(kind.apiVersion).split('/') : ['', String(kind.apiVersion)];
    const info = this.host.registry.byKind(group, version, kind.kind);
    if (!info) return { error: `failed to configure policy: failed to find resource referenced by paramKind: '${kind.apiVersion}, Kind=${kind.kind}'` };
    let ns = '';
    if (info.namespaced) {
      ns = ref.namespace || req.namespace;
      if (!ns) return { error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
    }
    const prefix = info.namespaced ? `${resourcePrefix(info)}${ns}/` : resourcePrefix(info);
    let found: any[];
    if (ref.name) {
      const o = this.host.cacheFor(info).get(`${prefix}${ref.name}`)?.obj;
      found = o ? [o] : [];
    } else {
      const sel = selectorFromLabelSelectorObject(ref.selector ?? {});
      found = this.host
        .cacheFor(info)
        .list(prefix)
        .map((c) => c.obj)
        .filter((o) => matches(sel, o.metadata?.labels ?? {}));
    }
    if (found.length === 0) {
      if (ref.parameterNotFoundAction === 'Deny') return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
      return undefined;
    }
    return { params: found };
  }

  private evaluate(p: any, b: any, a: AdmissionAttributes, req: MatchRequest): Decision[] {
    const spec = p.spec ?? {};
    const actions: string[] = b.spec?.validationActions ?? [];
    const policy = p.metadata.name;
    const binding = b.metadata.name;
    const failurePolicy = spec.failurePolicy ?? 'Fail';
    const onError = (message: string): Decision[] => (failurePolicy === 'Ignore' ? [] : [{ policy, binding, message, reason: 'Invalid', actions }]);
    const ps = this.params(p, b, req);
    if (!ps) return [];
    if ('error' in ps) return onError(ps.error);
    const request = admissionRequest(this.host, a, { group: a.info.group, version: a.info.version, resource: a.info.resource });
    const ns = namespaceObject(this.host, req);
    const out: Decision[] = [];
    for (const param of ps.params) {
      const vars = lazyVariables(spec.variables ?? [], {
        object: toCel(request.object),
        oldObject: toCel(request.oldObject),
        request: toCel(request),
        params: toCel(param),
        namespaceObject: req.resource.resource === 'namespaces' && req.resource.group === '' ? null : toCel(ns ?? null),
      });
      try {
        let matched = true;
        for (const c of spec.matchConditions ?? []) {
          if (!evalCelBool(compileCel(c.expression), vars)) {
            matched = false;
            break;
          }
        }
        if (!matched) continue;
      } catch (e) {
        out.push(...onError(`failed to evaluate match conditions: ${(e as Error).message}`));
        continue;
      }
      for (const v of spec.validations ?? []) {
        let ok: boolean;
        try {
          ok = evalCelBool(compileCel(v.expression), vars);
        } catch (e) {
          out.push(...onError(`expression '${v.expression}' resulted in error: ${(e as Error).message}`));
          continue;
        }
        if (ok) continue;
        out.push({ policy, binding, message: this.message(v, vars), reason: v.reason || 'Invalid', actions });
      }
    }
    return out;
  }

  /** A failed validation's message: messageExpression, else message, else the expression. */
  private message(v: any, vars: Record<string, unknown>): string {
    if (v.messageExpression) {
      try {
        const m = evalCelString(compileCel(v.messageExpression), vars).trim();
        if (m && !/[\r\n]/.test(m)) return m;
      } catch {
        // Upstream falls back to message when messageExpression fails.
      }
    }
    if (v.message) return v.message;
    return `failed expression: ${v.expression}`;
  }
}

