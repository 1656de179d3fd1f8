// CustomResourceDefinitions inside the API server, as the apiextensions
// server does it upstream: CRD writes follow the CRD rules; a CRD whose
// names are accepted gets its status (NamesAccepted, Established) and its
// resources served (registry, discovery, watch cache, OpenAPI paths);
// custom resources are pruned, defaulted and validated by their schema;
// deleting a CRD deletes its instances first.

import type { ResourceInfo, ResourceRegistry } from '../api/registry.js';
import type { FieldError } from '../api/validation/errors.js';
import {
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  crdStatusForAccepted,
  crdTable,
  customResourceContext,
  defaultCRD,
  isEstablished,
  markCRDTerminating,
  prepareCRDForCreate,
  prepareCRDForUpdate,
  prepareCustomResourceForCreate,
  prepareCustomResourceForStatusUpdate,
  prepareCustomResourceForUpdate,
  pruneUnknown,
  applyDefaults as applySchemaDefaults,
  resourceInfoForCRD,
  servedVersions,
  takenNamesForGroup,
  validateCRD,
  validateCRDStatusUpdate,
  validateCustomResourceObject,
  validateCustomResourceStatusUpdate,
  type CustomResourceContext,
} from '../api/crd/index.js';
import type { Printer } from '../api/printers/types.js';
import type { ResourceRest, ResourceStrategy } from './rest.js';
import type { CacheEvent, WatchCache } from './watch-cache.js';
import { clone, deepEqualJSON, nowRFC3339, resourcePrefix } from './objects.js';
import { ApiError } from './errors.js';

export interface CRDHost {
  registry: ResourceRegistry;
  ensureCache(info: ResourceInfo): Promise<WatchCache>;
  cacheFor(info: ResourceInfo): WatchCache;
  rest(info: ResourceInfo): ResourceRest;
  /** Served resources changed (discovery and OpenAPI must be rebuilt). */
  resourcesChanged(): void;
  deleteKey(key: string): Promise<void>;
}

const key = (r: { group: string; version: string; resource: string }) => `${r.group}/${r.version}/${r.resource}`;

export class CustomResourceManager {
  private contexts = new Map<string, { crd: any; ctx: CustomResourceContext; version: string }>();
  private registered = new Map<string, ResourceInfo[]>();
  private chain: Promise<void> = Promise.resolve();
  private unwatch: (() => void) | undefined;
  private crdInfo: ResourceInfo;

  constructor(private readonly host: CRDHost) {
    this.crdInfo = host.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  }

  /** The rules for writes of CustomResourceDefinitions themselves. */
  readonly crdStrategy: ResourceStrategy = {
    create(obj) {
      defaultCRD(obj);
      prepareCRDForCreate(obj);
      return validateCRD(obj);
    },
    update(obj, old) {
      defaultCRD(obj);
      prepareCRDForUpdate(obj, old);
      return validateCRD(obj, old);
    },
    statusUpdate(incoming, old) {
      const obj = clone(old);
      obj.status = incoming.status;
      return { obj, errs: validateCRDStatusUpdate(obj, old) };
    },
    beforeDelete(obj) {
      const marked = markCRDTerminating(obj, nowRFC3339());
      obj.metadata.finalizers = marked.metadata.finalizers;
      obj.status = marked.status;
    },
  };

  /** The rules for custom resources of a served CRD version, or undefined for other resources. */
  strategyFor(info: ResourceInfo): ResourceStrategy | undefined {
    if (info === this.crdInfo) return this.crdStrategy;
    const entry = this.contexts.get(key(info));
    if (!entry) return undefined;
    const { ctx, crd } = entry;
    const preserve = !!crd.spec?.preserveUnknownFields;
    const shape = (obj: any) => {
      pruneUnknown(ctx.schema, obj, { preserveUnknownFields: preserve });
      applySchemaDefaults(ctx.schema, obj);
    };
    return {
      create(obj): FieldError[] {
        shape(obj);
        prepareCustomResourceForCreate(ctx, obj);
        return validateCustomResourceObject(ctx, obj);
      },
      update(obj, old): FieldError[] {
        shape(obj);
        prepareCustomResourceForUpdate(ctx, obj, old);
        return validateCustomResourceObject(ctx, obj, old);
      },
      statusUpdate(incoming, old) {
        const obj = prepareCustomResourceForStatusUpdate(incoming, old);
        return { obj, errs: validateCustomResourceStatusUpdate(ctx, obj, old) };
      },
      unknownFields(obj) {
        return pruneUnknown(ctx.schema, clone(obj), { preserveUnknownFields: preserve });
      },
    };
  }

  /** Table columns of a custom resource (its additionalPrinterColumns), or undefined. */
  printerFor(info: ResourceInfo): Printer | undefined {
    const entry = this.contexts.get(key(info));
    return entry ? crdTable(entry.crd, entry.version) : undefined;
  }

  async start(): Promise<void> {
    const cache = this.host.cacheFor(this.crdInfo);
    const names = cache.list().map((c) => c.obj.metadata.name as string);
    for (const n of names) await this.reconcile(n);
    this.unwatch = cache.watch(cache.revision, {
      onEvent: (ev: CacheEvent) => this.enqueue(ev.object.obj.metadata.name),
    });
  }

  stop(): void {
    this.unwatch?.();
  }

  /** Waits for reconciles queued so far (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(name: string): void {
    this.chain = this.chain.then(() => this.reconcile(name)).catch(() => this.retryLater(name));
  }

  private retryLater(name: string): void {
    setTimeout(() => this.enqueue(name), 1000).unref();
  }

  private crd(name: string): any | undefined {
    return this.host.cacheFor(this.crdInfo).get(`${resourcePrefix(this.crdInfo)}${name}`)?.obj;
  }

  private async reconcile(name: string): Promise<void> {
    const crd = this.crd(name);
    if (!crd) {
      const group = this.unregister(name);
      if (group !== undefined) this.requeueGroup(group, name);
      return;
    }
    if (crd.metadata.deletionTimestamp) {
      await this.cleanUp(crd);
      return;
    }
    const all = this.host.cacheFor(this.crdInfo).list().map((c) => c.obj);
    const status = crdStatusForAccepted(crd, new Date(), takenNamesForGroup(all, crd.spec.group, name));
    if (!deepEqualJSON(status, crd.status)) {
      try {
        await this.host.rest(this.crdInfo).update('', name, { ...clone(crd), status }, 'status', { dryRun: false, fieldManager: 'kube-apiserver' });
      } catch (e) {
        if (e instanceof ApiError && (e.code === 409 || e.code === 404)) return; // a newer version is on its way
        throw e;
      }
      return; // the status write comes back as an event
    }
    if (!isEstablished(crd)) {
      this.unregister(name);
      return;
    }
    await this.register(crd);
  }

  private async register(crd: any): Promise<void> {
    const name = crd.metadata.name;
    const infos = servedVersions(crd).map((v) => resourceInfoForCRD(crd, v));
    const before = this.registered.get(name) ?? [];
    for (const old of before) {
      if (!infos.some((i) => key(i) === key(old))) {
        this.host.registry.remove(old);
        this.contexts.delete(key(old));
      }
    }
    for (const info of infos) {
      this.host.registry.add(info);
      this.contexts.set(key(info), { crd, ctx: customResourceContext(crd, info.version), version: info.version });
      await this.host.ensureCache(info);
    }
    this.registered.set(name, infos);
    this.host.resourcesChanged();
  }

  /** Stops serving a CRD's resources; returns its group if it was served. */
  private unregister(name: string): string | undefined {
    const infos = this.registered.get(name);
    if (!infos) return undefined;
    for (const info of infos) {
      this.host.registry.remove(info);
      this.contexts.delete(key(info));
    }
    this.registered.delete(name);
    this.host.resourcesChanged();
    return infos[0]?.group;
  }

  /** Names freed by a removed CRD may now be accepted for another in its group. */
  private requeueGroup(group: string, except: string): void {
    for (const c of this.host.cacheFor(this.crdInfo).list()) {
      if (c.obj.spec?.group === group && c.obj.metadata.name !== except) this.enqueue(c.obj.metadata.name);
    }
  }

  /** Deleting a CRD: its instances go first, then the cleanup finalizer. */
  private async cleanUp(crd: any): Promise<void> {
    const name = crd.metadata.name;
    const infos = this.registered.get(name) ?? servedVersions(crd).map((v) => resourceInfoForCRD(crd, v));
    if (infos.length) {
      const cache = await this.host.ensureCache(infos[0]);
      for (const c of [...cache.list()]) await this.host.deleteKey(c.key);
    }
    this.unregister(name);
    const fins: string[] = crd.metadata.finalizers ?? [];
    if (fins.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) {
      const next = clone(crd);
      next.metadata.finalizers = fins.filter((f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER);
      try {
        await this.host.rest(this.crdInfo).update('', name, next, '', { dryRun: false, fieldManager: 'kube-apiserver' });
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }
}
