// ResourceQuota admission (upstream admission/plugin/resourcequota): a
// create (or an update that can grow usage) is checked against every quota
// of its namespace and, when it fits, charged to the quotas' status.used
// before the object is stored, so requests racing each other or the quota
// controller cannot overrun a quota. The status write carries the quota's
// resourceVersion; on a conflict the quotas whose write failed are read
// again from the store and checked again (quotas already charged are not).

import { checkQuotaRequest } from '../../api/quota/check.js';
import { evaluatorFor, isIgnoredResource } from '../../api/quota/evaluators.js';
import { ApiError, forbidden } from '../errors.js';
import { objectKey } from '../objects.js';
import type { AdmissionAttributes } from '../rest.js';
import { decodeKV } from '../watch-cache.js';
import { namespacedObjects, type AdmissionHost } from './index.js';

const RETRIES = 5;

export class ResourceQuotaAdmission {
  constructor(
    private readonly host: AdmissionHost,
    private readonly now: () => number,
  ) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    const { info } = a;
    if (!info.namespaced || a.subresource || a.operation === 'DELETE' || isIgnoredResource(info.group, info.resource)) return;
    const ev = evaluatorFor(info.group, info.resource);
    if (!ev.handles(a.operation)) return;
    const ns: string = a.obj?.metadata?.namespace ?? '';
    let quotas = namespacedObjects(this.host, 'resourcequotas', ns);
    if (quotas.length === 0) return;
    const name: string = a.obj?.metadata?.name || a.obj?.metadata?.generateName || '';
    const rqInfo = this.host.registry.get('', 'v1', 'resourcequotas')!;
    let lastErr: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      const check = checkQuotaRequest(quotas, { operation: a.operation, subresource: a.subresource, obj: a.obj, old: a.old }, ev, this.now());
      if (!check.allowed) throw forbidden(info.group, info.resource, name, check.reason);
      if (a.dryRun || check.used.size === 0) return;
      const failed: string[] = [];
      for (const [qname, used] of check.used) {
        const q = quotas.find((x) => x.metadata?.name === qname);
        const body = { ...q, metadata: { ...q.metadata }, status: { ...(q.status ?? {}), used } };
        try {
          await this.host.rest(rqInfo).update(ns, qname, body, 'status', { dryRun: false, fieldManager: 'kube-apiserver' });
        } catch (e) {
          if (e instanceof ApiError && e.code === 404) continue; // deleted meanwhile: nothing to charge
          if (!(e instanceof ApiError && e.code === 409)) throw e;
          failed.push(qname);
          lastErr = e;
        }
      }
      if (failed.length === 0) return;
      const fresh = await Promise.all(failed.map((n) => this.host.store.get(objectKey(rqInfo, ns, n))));
      quotas = fresh.filter((kv) => kv !== undefined).map((kv) => decodeKV(kv!).obj);
      if (quotas.length === 0) return;
    }
    throw lastErr;
  }
}
