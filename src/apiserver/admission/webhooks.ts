// MutatingAdmissionWebhook and ValidatingAdmissionWebhook: every webhook of
// the MutatingWebhookConfigurations / ValidatingWebhookConfigurations (read
// from the watch caches, configurations in name order, webhooks in their
// order) whose rules, selectors and matchConditions match a write is called
// with an AdmissionReview. Mutating webhooks run one after another and their
// JSONPatches apply in order (reinvocationPolicy IfNeeded honoured);
// validating webhooks run concurrently. Denials, call failures and
// failurePolicy as upstream's dispatchers.

import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../api/registry.js';
import { applyDefaults } from '../../api/defaults/index.js';
import { applyJsonPatch, PatchError } from '../../api/patch/index.js';
import { matchedResource, namespaceSelectorMatches, objectSelectorMatches, type GVR, type MatchRequest } from '../../api/admission/rules.js';
import { CelCompileError, compileCel, evalCelBool, toCel } from '../../api/admission/cel.js';
import { ApiError, badRequest, failure, internalError, type Status } from '../errors.js';
import type { AdmissionAttributes } from '../rest.js';
import { deepEqualJSON, resourcePrefix } from '../objects.js';
import type { AdmissionHost } from './index.js';
import { admissionRequest, equivalentResources, isExemptFromDynamicAdmission, matchRequestOf, namespaceObject } from './request.js';
import { callWebhook, WebhookCallError, webhookTarget, type ServiceResolver } from './webhook-client.js';

const REVIEW_VERSIONS = ['v1', 'v1beta1'];

/** A webhook of a configuration, with its defaults applied (the store holds defaulted objects). */
interface Hook {
  config: string;
  spec: any;
}

/** Why a call failed; failurePolicy decides whether the request fails with it. */
class CallingError extends Error {}

/** A webhook's denial: returned to the client as is. */
class Rejection extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }
}

export class WebhookAdmission {
  constructor(
    private readonly host: AdmissionHost,
    private readonly resolver: ServiceResolver,
  ) {}

  private hooks(resource: 'mutatingwebhookconfigurations' | 'validatingwebhookconfigurations'): Hook[] {
    const info = this.host.registry.get('admissionregistration.k8s.io', 'v1', resource);
    if (!info) return [];
    const out: Hook[] = [];
    for (const c of this.host.cacheFor(info).list(resourcePrefix(info))) {
      for (const spec of c.obj.webhooks ?? []) out.push({ config: c.obj.metadata.name, spec });
    }
    return out;
  }

  /** The resource a hook is called for, or undefined when it does not apply (matchConditions aside). */
  private matches(h: Hook, req: MatchRequest, a: AdmissionAttributes): GVR | undefined {
    const gvr = matchedResource(h.spec.rules, h.spec.matchPolicy, req, equivalentResources(this.host, a.info));
    if (!gvr) return undefined;
    if (!objectSelectorMatches(h.spec.objectSelector, req)) return undefined;
    if (!namespaceSelectorMatches(h.spec.namespaceSelector, req, namespaceObject(this.host, req)?.metadata?.labels)) return undefined;
    return gvr;
  }

  async mutate(a: AdmissionAttributes): Promise<void> {
    if (isExemptFromDynamicAdmission(a.info)) return;
    const hooks = this.hooks('mutatingwebhookconfigurations');
    if (hooks.length === 0) return;
    const req = matchRequestOf(a);
    // Reinvocation: a webhook with IfNeeded that ran before a later webhook changed the object runs once more.
    const changedAfter = new Map<Hook, boolean>();
    let lastChange = -1;
    const invoked: Array<{ h: Hook; at: number }> = [];
    let step = 0;
    const run = async (h: Hook): Promise<void> => {
      const gvr = this.matches(h, { ...req, object: a.obj }, a);
      if (!gvr) return;
      const changed = await this.callMutating(h, gvr, a);
      step++;
      if (changed) lastChange = step;
      invoked.push({ h, at: step });
    };
    for (const h of hooks) await run(h);
    for (const { h, at } of invoked) changedAfter.set(h, lastChange > at);
    if (a.operation === 'DELETE') return;
    for (const h of hooks) {
      if (h.spec.reinvocationPolicy === 'IfNeeded' && changedAfter.get(h)) await run(h);
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptFromDynamicAdmission(a.info)) return;
    const hooks = this.hooks('validatingwebhookconfigurations');
    if (hooks.length === 0) return;
    const req = matchRequestOf(a);
    const calls: Array<Promise<ApiError | undefined>> = [];
    for (const h of hooks) {
      const gvr = this.matches(h, req, a);
      if (!gvr) continue;
      calls.push(
        this.callValidating(h, gvr, a).then(
          () => undefined,
          (e) => (e instanceof ApiError ? e : internalError(String((e as Error)?.message ?? e))),
        ),
      );
    }
    // As upstream, every matching webhook is called; the first error (in configuration order) is returned.
    const errs = (await Promise.all(calls)).filter((e): e is ApiError => e !== undefined);
    if (errs.length) throw errs[0];
  }

  /** Calls one mutating webhook and applies its patch; true when the object changed. */
  private async callMutating(h: Hook, gvr: GVR, a: AdmissionAttributes): Promise<boolean> {
    let response: any;
    try {
      response = await this.call(h, gvr, a, true);
    } catch (e) {
      if (e instanceof Rejection) throw e.apiError;
      if (e instanceof CallingError) {
        if (h.spec.failurePolicy === 'Ignore') return false;
        throw internalError(e.message);
      }
      throw e;
    }
    if (!response?.patch || a.obj == null) return false;
    return applyWebhookPatch(a.info, a.obj, String(response.patch));
  }

  private async callValidating(h: Hook, gvr: GVR, a: AdmissionAttributes): Promise<void> {
    try {
      await this.call(h, gvr, a, false);
    } catch (e) {
      if (e instanceof Rejection) throw e.apiError;
      if (e instanceof CallingError) {
        if (h.spec.failurePolicy === 'Ignore') return;
        throw internalError(e.message);
      }
      throw e;
    }
  }

  /**
   * One call: matchConditions, then the review. Returns the allowed
   * response; throws Rejection for a denial and CallingError for anything
   * that failurePolicy covers.
   */
  private async call(h: Hook, gvr: GVR, a: AdmissionAttributes, mutating: boolean): Promise<any> {
    const name = h.spec.name;
    const failed = (why: string) => new CallingError(`failed calling webhook ${JSON.stringify(name)}: ${why}`);
    const uid = randomUUID();
    const request = admissionRequest(this.host, a, gvr, uid);
    const conds: any[] = h.spec.matchConditions ?? [];
    if (conds.length) {
      const vars = { object: toCel(request.object), oldObject: toCel(request.oldObject), request: toCel(request) };
      let evalErr: string | undefined;
      for (const c of conds) {
        try {
          if (!evalCelBool(compileCel(c.expression), vars)) return undefined; // not matched: skipped
        } catch (e) {
          evalErr ??= `expression '${c.name}' resulted in error: ${e instanceof CelCompileError ? e.message : (e as Error).message}`;
        }
      }
      // A false condition wins over an error; otherwise an error is a call failure.
      if (evalErr) throw failed(`failed to evaluate match conditions: ${evalErr}`);
    }
    if (a.dryRun && h.spec.sideEffects !== 'None' && h.spec.sideEffects !== 'NoneOnDryRun') {
      throw new Rejection(badRequest(`admission webhook ${JSON.stringify(name)} does not support dry run`));
    }
    const version = (h.spec.admissionReviewVersions ?? []).find((v: string) => REVIEW_VERSIONS.includes(v));
    if (!version) throw failed('webhook does not accept known AdmissionReview versions');
    const target = webhookTarget(h.spec.clientConfig, this.resolver);
    if (typeof target === 'string') throw failed(`could not get REST client: ${target}`);
    let review: any;
    try {
      review = await callWebhook(target, { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request }, h.spec.timeoutSeconds ?? 10);
    } catch (e) {
      if (e instanceof WebhookCallError) throw failed(`failed to call webhook: ${e.message}`);
      throw e;
    }
    const invalidResponse = (why: string) => failed(`received invalid webhook response: ${why}`);
    if (version === 'v1' && (review?.apiVersion !== 'admission.k8s.io/v1' || review?.kind !== 'AdmissionReview')) {
      throw invalidResponse(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${review?.apiVersion ?? ''}, Kind=${review?.kind ?? ''}`);
    }
    const response = review?.response;
    if (!response || typeof response !== 'object') throw invalidResponse('webhook response was absent');
    if (version === 'v1' && response.uid !== uid) throw invalidResponse(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(String(response.uid ?? ''))}`);
    if (version === 'v1') {
      if (!mutating && response.patch) throw invalidResponse('validating webhook may not return response.patch');
      if (!mutating && response.patchType) throw invalidResponse('validating webhook may not return response.patchType');
      if (response.patch && !response.patchType) throw invalidResponse('webhook returned response.patch but not response.patchType');
      if (response.patchType && !response.patch) throw invalidResponse('webhook returned response.patchType but not response.patch');
    }
    if (response.patchType && response.patchType !== 'JSONPatch') throw invalidResponse(`webhook returned invalid response.patchType of ${JSON.stringify(response.patchType)}`);
    for (const w of Array.isArray(response.warnings) ? response.warnings : []) {
      if (typeof w === 'string') a.warnings?.add(w.replace(/[\r\n]+/g, ' '));
    }
    if (!response.allowed) throw new Rejection(denial(name, response.status));
    return response;
  }
}

/** A denial as upstream's ToStatusErr (Kubernetes 1.32) shapes it. */
function denial(webhook: string, result: any): ApiError {
  const r = result && typeof result === 'object' ? result : {};
  const deniedBy = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const code = typeof r.code === 'number' && r.code >= 400 ? r.code : 400;
  const message = r.message ? `${deniedBy}: ${r.message}` : r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  const e = failure(code, typeof r.reason === 'string' ? r.reason : '', message, r.details);
  if (!r.reason) delete (e.status as Partial<Status>).reason;
  return e;
}

/**
 * Applies a webhook's base64 JSONPatch to `obj` in place (defaults apply
 * again, as when upstream decodes the patched object); true when it changed.
 * A patch that does not decode or apply is an internal error, as upstream.
 */
export function applyWebhookPatch(info: ResourceInfo, obj: any, patchBase64: string): boolean {
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(patchBase64, 'base64').toString('utf8'));
  } catch (e) {
    throw internalError((e as Error).message);
  }
  let patched: any;
  try {
    patched = applyJsonPatch(obj, ops);
  } catch (e) {
    if (e instanceof PatchError) throw internalError(e.message);
    throw e;
  }
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw internalError('the patched object is not an object');
  applyDefaults(info, patched);
  if (deepEqualJSON(patched, obj)) return false;
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, patched);
  return true;
}
