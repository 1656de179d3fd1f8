// Validation of core/v1 kinds (upstream pkg/apis/core/validation): pod specs
// and templates, Pods, ReplicationControllers, PodTemplates, Services,
// ConfigMaps, Secrets, Namespaces, Nodes, PersistentVolumes and claims.
// Inputs are v1 JSON objects after defaulting; field paths are upstream's.

import {
  child,
  duplicate,
  forbidden,
  goObject,
  goStringMap,
  goStringSlice,
  goStruct,
  GoValue,
  index,
  invalid,
  key,
  notFound,
  notSupported,
  required,
  tooLong,
  type FieldError,
} from './errors.js';
import {
  byteLen,
  FIELD_IMMUTABLE,
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  isIPv4,
  isIPv6,
  isIP,
  nameIsDNSSubdomain,
  validateCIDR,
  validateFinalizerName,
  validateIP,
  validateKubeFinalizerName,
  validateLabelName,
  validateLabels,
  validateAnnotations,
} from './names.js';
import { compareQuantity, formatQuantity, isInteger, isNegative, parseQuantity, QUANTITY_REGEX_ERROR, type Quantity } from './quantity.js';
import { arr, clone, has, isObj, obj, renderDiff, semanticEqual, str } from './util.js';

const MAX_INT32 = 2147483647;
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
const FILE_MODE_ERROR_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
export const MAX_SECRET_SIZE = 1024 * 1024;

export function validateNonnegative(value: unknown, fld: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(fld, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

export function validateDNS1123Label(value: string, fld: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(fld, value, m));
}

export function validateDNS1123Subdomain(value: string, fld: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(fld, value, m));
}

function validateQualifiedName(value: string, fld: string): FieldError[] {
  return isQualifiedName(value).map((m) => invalid(fld, value, m));
}

/** A port given as a number or a name (intstr). */
export function validatePortNumOrName(port: unknown, fld: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(fld, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(fld, port, m));
  return isValidPortNum(0).map((m) => invalid(fld, 0, m));
}

// ---------------------------------------------------------------------------
// Paths inside volumes

function validatePathNoBacksteps(p: string, fld: string): FieldError[] {
  return p.split(/[\\/]/).includes('..') ? [invalid(fld, p, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(p: string, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(fld, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, fld));
  return errs;
}

function validateLocalNonReservedPath(p: string, fld: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, fld);
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  if ((parts[0] ?? '').startsWith('..')) errs.push(invalid(fld, p, "must not start with '..'"));
  return errs;
}

function validateFileMode(mode: unknown, fld: string): FieldError[] {
  return typeof mode === 'number' && (mode > 0o777 || mode < 0) ? [invalid(fld, mode, FILE_MODE_ERROR_MSG)] : [];
}

function validateKeyToPaths(items: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(items).forEach((kp, i) => {
    const p = index(fld, i);
    if (!str(kp?.key)) errs.push(required(child(p, 'key')));
    if (!str(kp?.path)) errs.push(required(child(p, 'path')));
    errs.push(...validateLocalNonReservedPath(str(kp?.path), child(p, 'path')));
    errs.push(...validateFileMode(kp?.mode, child(p, 'mode')));
  });
  return errs;
}

// ---------------------------------------------------------------------------
// Volumes

const VOLUME_SOURCES: Array<[json: string, forbiddenPath: string]> = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateVolumeSource(vol: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const [k, fp] of VOLUME_SOURCES) {
    const src = vol[k];
    if (!has(src)) continue;
    if (n > 0) {
      errs.push(forbidden(child(fld, fp), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const p = child(fld, k);
    const s = obj(src);
    switch (k) {
      case 'hostPath':
        if (!str(s.path)) {
          errs.push(required(child(p, 'path')));
          break;
        }
        errs.push(...validatePathNoBacksteps(str(s.path), child(p, 'path')));
        if (has(s.type) && !HOST_PATH_TYPES.includes(str(s.type))) errs.push(notSupported(child(p, 'type'), s.type, HOST_PATH_TYPES));
        break;
      case 'secret':
        if (!str(s.secretName)) errs.push(required(child(p, 'secretName')));
        errs.push(...validateFileMode(s.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateKeyToPaths(s.items, child(p, 'items')));
        break;
      case 'configMap':
        if (!str(s.name)) errs.push(required(child(p, 'name')));
        errs.push(...validateFileMode(s.defaultMode, child(p, 'defaultMode')));
        errs.push(...validateKeyToPaths(s.items, child(p, 'items')));
        break;
      case 'persistentVolumeClaim':
        if (!str(s.claimName)) errs.push(required(child(p, 'claimName')));
        break;
      case 'nfs':
        if (!str(s.server)) errs.push(required(child(p, 'server')));
        if (!str(s.path)) errs.push(required(child(p, 'path')));
        else if (!str(s.path).startsWith('/')) errs.push(invalid(child(p, 'path'), str(s.path), 'must be an absolute path'));
        break;
      case 'gitRepo':
        if (!str(s.repository)) errs.push(required(child(p, 'repository')));
        errs.push(...validateLocalDescendingPath(str(s.directory), child(p, 'directory')));
        break;
      case 'downwardAPI':
        errs.push(...validateFileMode(s.defaultMode, child(p, 'defaultMode')));
        arr(s.items).forEach((it, i) => {
          const ip = index(child(p, 'items'), i);
          if (!str(it?.path)) errs.push(required(child(ip, 'path')));
          errs.push(...validateLocalNonReservedPath(str(it?.path), child(ip, 'path')));
          errs.push(...validateFileMode(it?.mode, child(ip, 'mode')));
        });
        break;
      case 'projected':
        errs.push(...validateFileMode(s.defaultMode, child(p, 'defaultMode')));
        arr(s.sources).forEach((src2, i) => {
          const sp = index(child(p, 'sources'), i);
          let count = 0;
          for (const sk of ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle']) {
            if (!has(src2?.[sk])) continue;
            count++;
            if (count > 1) errs.push(forbidden(child(sp, sk), 'may not specify more than 1 volume type per source'));
          }
          if (has(src2?.secret)) errs.push(...validateKeyToPaths(src2.secret.items, child(sp, 'secret', 'items')));
          if (has(src2?.configMap)) errs.push(...validateKeyToPaths(src2.configMap.items, child(sp, 'configMap', 'items')));
          if (has(src2?.serviceAccountToken)) {
            const t = obj(src2.serviceAccountToken);
            const tp = child(sp, 'serviceAccountToken');
            if (typeof t.expirationSeconds === 'number') {
              if (t.expirationSeconds < 10 * 60) errs.push(invalid(child(tp, 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
              else if (t.expirationSeconds > 2 ** 32) errs.push(invalid(child(tp, 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
            }
            if (!str(t.path)) errs.push(required(child(tp, 'path')));
          }
        });
        break;
      case 'csi':
        if (!str(s.driver)) errs.push(required(child(p, 'driver')));
        break;
      case 'ephemeral':
        if (!isObj(s.volumeClaimTemplate)) errs.push(required(child(p, 'volumeClaimTemplate')));
        else errs.push(...validatePersistentVolumeClaimSpec(s.volumeClaimTemplate.spec, child(p, 'volumeClaimTemplate', 'spec')));
        break;
      case 'image':
        if (!str(s.reference)) errs.push(required(child(p, 'reference')));
        break;
    }
  }
  if (n === 0) errs.push(required(fld, 'must specify a volume type'));
  return errs;
}

/** Validates pod volumes; returns the valid volumes by name and the errors. */
export function validateVolumes(volumes: unknown, fld: string): { vols: Map<string, any>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const vols = new Map<string, any>();
  arr(volumes).forEach((vol, i) => {
    const p = index(fld, i);
    const v = obj(vol);
    const name = str(v.name);
    const el = validateVolumeSource(v, p);
    if (!name) el.push(required(child(p, 'name')));
    else el.push(...validateDNS1123Label(name, child(p, 'name')));
    if (vols.has(name)) el.push(duplicate(child(p, 'name'), name));
    if (el.length === 0) vols.set(name, v);
    else errs.push(...el);
  });
  return { vols, errs };
}

// ---------------------------------------------------------------------------
// Containers

const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((port, i) => {
    const p = index(fld, i);
    const pt = obj(port);
    const name = str(pt.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(child(p, 'name'), name, m));
      else if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const cp = pt.containerPort;
    if (!cp) errs.push(required(child(p, 'containerPort')));
    else for (const m of isValidPortNum(Number(cp))) errs.push(invalid(child(p, 'containerPort'), cp, m));
    if (pt.hostPort) for (const m of isValidPortNum(Number(pt.hostPort))) errs.push(invalid(child(p, 'hostPort'), pt.hostPort, m));
    if (has(pt.protocol)) {
      const proto = str(pt.protocol);
      if (!proto) errs.push(required(child(p, 'protocol')));
      else if (!SUPPORTED_PROTOCOLS.includes(proto)) errs.push(notSupported(child(p, 'protocol'), proto, SUPPORTED_PROTOCOLS));
    }
  });
  return errs;
}

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

function validateObjectFieldSelector(fs: any, fld: string): FieldError[] {
  const apiVersion = str(fs?.apiVersion);
  const fieldPath = str(fs?.fieldPath);
  if (has(fs?.apiVersion) && !apiVersion) return [required(child(fld, 'apiVersion'))];
  if (!fieldPath) return [required(child(fld, 'fieldPath'))];
  if (apiVersion && apiVersion !== 'v1') {
    return [invalid(child(fld, 'fieldPath'), fieldPath, `error converting fieldPath: unsupported pod version: ${apiVersion}`)];
  }
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (sub) {
    return sub[1] === 'metadata.annotations' ? validateQualifiedName(sub[2].toLowerCase(), fld) : validateQualifiedName(sub[2], fld);
  }
  if (!ENV_FIELD_PATHS.includes(fieldPath)) return [notSupported(child(fld, 'fieldPath'), fieldPath, ENV_FIELD_PATHS)];
  return [];
}

function validateKeySelector(s: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s?.name);
  for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(child(fld, 'name'), name, m));
  const k = str(s?.key);
  if (!k) errs.push(required(child(fld, 'key')));
  else for (const m of isConfigMapKey(k)) errs.push(invalid(child(fld, 'key'), k, m));
  return errs;
}

export function validateEnv(env: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((ev, i) => {
    const p = index(fld, i);
    const name = str(ev?.name);
    if (!name) errs.push(required(child(p, 'name')));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(invalid(child(p, 'name'), name, m));
    const vf = ev?.valueFrom;
    if (!has(vf)) return;
    const vp = child(p, 'valueFrom');
    let n = 0;
    if (has(vf.fieldRef)) {
      n++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, child(vp, 'fieldRef')));
    }
    if (has(vf.resourceFieldRef)) {
      n++;
      const r = str(vf.resourceFieldRef.resource);
      const rp = child(vp, 'resourceFieldRef');
      if (!r) errs.push(required(child(rp, 'resource')));
      else if (!RESOURCE_FIELD_PATHS.includes(r) && !r.startsWith('requests.hugepages-') && !r.startsWith('limits.hugepages-')) {
        errs.push(notSupported(child(rp, 'resource'), r, RESOURCE_FIELD_PATHS));
      }
    }
    if (has(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef')));
    }
    if (has(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, child(vp, 'secretKeyRef')));
    }
    if (n === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev?.value)) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((ev, i) => {
    const p = index(fld, i);
    const prefix = str(ev?.prefix);
    if (prefix) for (const m of isRelaxedEnvVarName(prefix)) errs.push(invalid(child(p, 'prefix'), prefix, m));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      if (!has(ev?.[k])) continue;
      n++;
      const name = str(ev[k].name);
      if (!name) errs.push(required(child(p, k, 'name')));
      else for (const m of nameIsDNSSubdomain(name, true)) errs.push(invalid(child(p, k, 'name'), name, m));
    }
    if (n === 0) errs.push(invalid(fld, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(fld, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, vols: Map<string, any>, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  arr(mounts).forEach((mnt, i) => {
    const p = index(fld, i);
    const name = str(mnt?.name);
    const mountPath = str(mnt?.mountPath);
    if (!name) errs.push(required(child(p, 'name')));
    if (!vols.has(name)) errs.push(notFound(child(p, 'name'), name));
    if (!mountPath) errs.push(required(child(p, 'mountPath')));
    if (paths.has(mountPath)) errs.push(invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    paths.add(mountPath);
    const subPath = str(mnt?.subPath);
    const subPathExpr = str(mnt?.subPathExpr);
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, child(fld, 'subPath')));
    if (subPathExpr) {
      if (subPath) errs.push(invalid(child(p, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(fld, 'subPathExpr')));
    }
    if (has(mnt?.mountPropagation)) {
      const mp = str(mnt.mountPropagation);
      const ok = ['Bidirectional', 'HostToContainer', 'None'];
      if (!ok.includes(mp)) errs.push(notSupported(child(fld, 'mountPropagation'), mp, ok));
    }
  });
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

function isHugePageResource(name: string): boolean {
  return name.startsWith('hugepages-');
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + name).length === 0;
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateContainerResourceName(name: string, fld: string): FieldError[] {
  const errs = validateQualifiedName(name, fld);
  if (errs.length) return errs;
  if (name.split('/').length === 1) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePageResource(name)) {
      errs.push(invalid(fld, name, 'must be a standard resource type or fully qualified'));
      errs.push(invalid(fld, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    errs.push(invalid(fld, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function quantityOrError(v: unknown, fld: string, errs: FieldError[]): Quantity | undefined {
  const q = parseQuantity(v);
  if (!q) errs.push(invalid(fld, typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v), QUANTITY_REGEX_ERROR));
  return q;
}

function validateResourceQuantityValue(name: string, q: Quantity, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isNegative(q)) errs.push(invalid(fld, formatQuantity(q), IS_NEGATIVE_ERROR_MSG));
  if (isExtendedResource(name) && !isInteger(q)) errs.push(invalid(fld, formatQuantity(q), 'must be an integer'));
  return errs;
}

/** Container resources: names, non-negative quantities, requests <= limits. */
export function validateResourceRequirements(res: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(res);
  const limPath = child(fld, 'limits');
  const reqPath = child(fld, 'requests');
  const limits = new Map<string, Quantity>();
  let cpuMem = false;
  let huge = false;
  for (const [name, v] of Object.entries(obj(r.limits))) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityOrError(v, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    limits.set(name, q);
    if (name === 'cpu' || name === 'memory') cpuMem = true;
    if (isHugePageResource(name)) huge = true;
  }
  for (const [name, v] of Object.entries(obj(r.requests))) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityOrError(v, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    const lim = limits.get(name);
    const overcommit = isNativeResource(name) && !isHugePageResource(name);
    if (lim) {
      const c = compareQuantity(q, lim);
      if (c !== 0 && !overcommit) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(lim)}`));
      } else if (c > 0) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
      }
    } else if (!overcommit) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (name === 'cpu' || name === 'memory') cpuMem = true;
    if (isHugePageResource(name)) huge = true;
  }
  if (!cpuMem && huge) errs.push(forbidden(fld, 'HugePages require cpu or memory'));
  return errs;
}

const HTTP_SCHEMES = ['HTTP', 'HTTPS'];

function validateHandler(h: any, fld: string, kinds: string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of kinds) {
    if (!has(h?.[k])) continue;
    if (n > 0) {
      errs.push(forbidden(child(fld, k), 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = obj(h[k]);
    const p = child(fld, k);
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(required(child(p, 'command')));
        break;
      case 'httpGet':
        if (has(a.path) && !str(a.path)) errs.push(required(child(p, 'path')));
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        if (has(a.scheme) && !HTTP_SCHEMES.includes(str(a.scheme))) errs.push(notSupported(child(p, 'scheme'), str(a.scheme), HTTP_SCHEMES));
        for (const hdr of arr(a.httpHeaders)) {
          for (const m of isHTTPHeaderName(str(hdr?.name))) errs.push(invalid(child(p, 'httpHeaders'), str(hdr?.name), m));
        }
        break;
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        break;
      case 'grpc':
        errs.push(...validatePortNumOrName(typeof a.port === 'number' ? a.port : 0, child(p, 'port')));
        break;
      case 'sleep':
        break;
    }
  }
  if (n === 0) errs.push(required(fld, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: any, fld: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!has(probe)) return [];
  const errs = validateHandler(probe, fld, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(probe[f], child(fld, f)));
  }
  if (typeof probe.terminationGracePeriodSeconds === 'number' && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(child(fld, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind === 'readiness') {
    if (has(probe.terminationGracePeriodSeconds)) {
      errs.push(invalid(child(fld, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    }
  } else if (has(probe.successThreshold) && probe.successThreshold !== 1) {
    errs.push(invalid(child(fld, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateLifecycle(lc: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['postStart', 'preStop']) {
    if (has(lc?.[k])) errs.push(...validateHandler(lc[k], child(fld, k), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}

function validateContainerCommon(c: any, vols: Map<string, any>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(child(p, 'name')));
  else errs.push(...validateDNS1123Label(name, child(p, 'name')));
  if (!str(c.image)) errs.push(required(child(p, 'image')));
  if (has(c.terminationMessagePolicy)) {
    const tmp = str(c.terminationMessagePolicy);
    const ok = ['File', 'FallbackToLogsOnError'];
    if (!tmp) errs.push(required(child(p, 'terminationMessagePolicy')));
    else if (!ok.includes(tmp)) errs.push(notSupported(child(p, 'terminationMessagePolicy'), tmp, ok));
  }
  errs.push(...validateContainerPorts(c.ports, child(p, 'ports')));
  errs.push(...validateEnv(c.env, child(p, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(p, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, vols, child(p, 'volumeMounts')));
  if (has(c.imagePullPolicy)) {
    const pp = str(c.imagePullPolicy);
    if (!pp) errs.push(required(child(p, 'imagePullPolicy')));
    else if (!PULL_POLICIES.includes(pp)) errs.push(notSupported(child(p, 'imagePullPolicy'), pp, PULL_POLICIES));
  }
  errs.push(...validateResourceRequirements(c.resources, child(p, 'resources')));
  return errs;
}

function accumulateHostPorts(containers: any[], fld: string, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    arr(c?.ports).forEach((pt, pi) => {
      const hp = pt?.hostPort;
      if (!hp) return;
      const s = `${str(pt.protocol)}/${str(pt.hostIP)}/${hp}`;
      if (seen.has(s)) errs.push(duplicate(child(index(child(index(fld, ci), 'ports'), pi), 'hostPort'), s));
      else seen.add(s);
    });
  });
  return errs;
}

function validateContainers(containers: unknown, vols: Map<string, any>, fld: string): FieldError[] {
  const list = arr(containers);
  if (list.length === 0) return [required(fld)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const c = obj(raw);
    const p = index(fld, i);
    errs.push(...validateContainerCommon(c, vols, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else names.add(name);
    if (has(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, child(p, 'lifecycle')));
    errs.push(...validateProbe(c.livenessProbe, child(p, 'livenessProbe'), 'liveness'));
    errs.push(...validateProbe(c.readinessProbe, child(p, 'readinessProbe'), 'readiness'));
    errs.push(...validateProbe(c.startupProbe, child(p, 'startupProbe'), 'startup'));
    if (has(c.restartPolicy)) errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...accumulateHostPorts(list, fld, new Set()));
  return errs;
}

function validateInitContainers(containers: unknown, regular: unknown, vols: Map<string, any>, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>(arr(regular).map((c) => str(c?.name)));
  arr(containers).forEach((raw, i) => {
    const c = obj(raw);
    const p = index(fld, i);
    errs.push(...validateContainerCommon(c, vols, p));
    let restartAlways = false;
    if (has(c.restartPolicy)) {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(child(p, 'restartPolicy'), str(c.restartPolicy), ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    else if (name) names.add(name);
    errs.push(...accumulateHostPorts([c], fld, new Set()));
    if (restartAlways) {
      if (has(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, child(p, 'lifecycle')));
      errs.push(...validateProbe(c.livenessProbe, child(p, 'livenessProbe'), 'liveness'));
      errs.push(...validateProbe(c.readinessProbe, child(p, 'readinessProbe'), 'readiness'));
      errs.push(...validateProbe(c.startupProbe, child(p, 'startupProbe'), 'startup'));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (has(c[k])) errs.push(forbidden(child(p, k), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateTaintEffect(effect: string, allowEmpty: boolean, fld: string): FieldError[] {
  if (!allowEmpty && !effect) return [required(fld)];
  if (!TAINT_EFFECTS.includes(effect)) return [notSupported(fld, effect, TAINT_EFFECTS)];
  return [];
}

function tolerationValue(t: any): GoValue {
  return goStruct('core.Toleration', t, [
    ['key', 'Key', 'string'],
    ['operator', 'Operator', 'string'],
    ['value', 'Value', 'string'],
    ['effect', 'Effect', 'string'],
    ['tolerationSeconds', 'TolerationSeconds', 'raw'],
  ]);
}

export function validateTolerations(tolerations: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const t = obj(raw);
    const p = index(fld, i);
    const k = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    if (k) errs.push(...validateLabelName(k, child(p, 'key')));
    if (!k && op !== 'Exists') {
      errs.push(invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (has(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(invalid(child(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length) errs.push(invalid(child(p, 'operator'), str(t.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t.value)) errs.push(invalid(child(p, 'operator'), tolerationValue(t), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), op, TOLERATION_OPERATORS));
    }
    if (effect) errs.push(...validateTaintEffect(effect, true, child(p, 'effect')));
  });
  return errs;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

function validatePodDNSConfig(cfg: any, dnsPolicy: string, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (dnsPolicy === 'None') {
    if (!has(cfg)) return [required(fld, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(cfg.nameservers).length === 0) return [required(child(fld, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!has(cfg)) return errs;
  const ns = arr(cfg.nameservers);
  if (ns.length > 3) errs.push(invalid(child(fld, 'nameservers'), goStringSlice(ns), 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...validateIP(index(child(fld, 'nameservers'), i), str(n))));
  const searches = arr(cfg.searches);
  if (searches.length > 32) errs.push(invalid(child(fld, 'searches'), goStringSlice(searches), 'must not have more than 32 search paths'));
  if (searches.map(str).join(' ').length > 2048) {
    errs.push(invalid(child(fld, 'searches'), goStringSlice(searches), 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    const v = str(s);
    if (v === '.') return;
    const trimmed = v.endsWith('.') ? v.slice(0, -1) : v;
    const msgs = /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/.test(trimmed) && byteLen(trimmed) <= 253 ? [] : isDNS1123Subdomain(trimmed);
    for (const m of msgs) errs.push(invalid(index(child(fld, 'searches'), i), trimmed, m));
  });
  arr(cfg.options).forEach((o, i) => {
    if (!str(o?.name)) errs.push(required(index(child(fld, 'options'), i), 'must not be empty'));
  });
  return errs;
}

export interface PodSpecOptions {
  /** The spec belongs to a Pod (not a template). */
  isPod?: boolean;
  /** Names mounts may refer to besides spec.volumes (a StatefulSet's volumeClaimTemplates). */
  extraVolumes?: string[];
}

/** Upstream ValidatePodSpec. */
export function validatePodSpec(specIn: unknown, fld: string, opts: PodSpecOptions = {}): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  if (spec.terminationGracePeriodSeconds === null) errs.push(required(child(fld, 'terminationGracePeriodSeconds')));
  const { vols, errs: vErrs } = validateVolumes(spec.volumes, child(fld, 'volumes'));
  errs.push(...vErrs);
  for (const n of opts.extraVolumes ?? []) if (!vols.has(n)) vols.set(n, { name: n, persistentVolumeClaim: { claimName: n } });
  errs.push(...validateContainers(spec.containers, vols, child(fld, 'containers')));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, vols, child(fld, 'initContainers')));

  if (spec.hostNetwork === true) {
    arr(spec.containers).forEach((c, ci) => {
      arr(c?.ports).forEach((pt, pi) => {
        const hp = pt?.hostPort ?? 0;
        const cp = pt?.containerPort ?? 0;
        if ((opts.isPod || hp !== 0) && hp !== cp) {
          errs.push(
            invalid(child(index(child(index(child(fld, 'containers'), ci), 'ports'), pi), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'),
          );
        }
      });
    });
  }
  if (has(spec.restartPolicy)) {
    const rp = str(spec.restartPolicy);
    if (!rp) errs.push(required(child(fld, 'restartPolicy')));
    else if (!RESTART_POLICIES.includes(rp)) errs.push(notSupported(child(fld, 'restartPolicy'), rp, RESTART_POLICIES));
  }
  if (has(spec.dnsPolicy)) {
    const dp = str(spec.dnsPolicy);
    if (!dp) errs.push(required(child(fld, 'dnsPolicy')));
    else if (!DNS_POLICIES.includes(dp)) errs.push(notSupported(child(fld, 'dnsPolicy'), dp, DNS_POLICIES));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(fld, 'nodeSelector')));
  errs.push(...validatePodDNSConfig(spec.dnsConfig, str(spec.dnsPolicy), child(fld, 'dnsConfig')));
  arr(spec.readinessGates).forEach((g, i) => errs.push(...validateQualifiedName(str(g?.conditionType), child(index(child(fld, 'readinessGates'), i), 'conditionType'))));
  const gates = new Set<string>();
  arr(spec.schedulingGates).forEach((g, i) => {
    const n = str(g?.name);
    errs.push(...validateQualifiedName(n, index(child(fld, 'schedulingGates'), i)));
    if (gates.has(n)) errs.push(duplicate(index(child(fld, 'schedulingGates'), i), n));
    gates.add(n);
  });
  for (const [k, fn] of [
    ['serviceAccountName', nameIsDNSSubdomain],
    ['nodeName', nameIsDNSSubdomain],
    ['priorityClassName', nameIsDNSSubdomain],
  ] as const) {
    const v = str(spec[k]);
    if (v) for (const m of fn(v, false)) errs.push(invalid(child(fld, k), v, m));
  }
  if (has(spec.activeDeadlineSeconds)) {
    const v = spec.activeDeadlineSeconds;
    if (typeof v !== 'number' || v < 1 || v > MAX_INT32) errs.push(invalid(child(fld, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (str(spec.hostname)) errs.push(...validateDNS1123Label(str(spec.hostname), child(fld, 'hostname')));
  if (str(spec.subdomain)) errs.push(...validateDNS1123Label(str(spec.subdomain), child(fld, 'subdomain')));
  errs.push(...validateTolerations(spec.tolerations, child(fld, 'tolerations')));
  arr(spec.hostAliases).forEach((ha, i) => {
    const p = index(child(fld, 'hostAliases'), i);
    errs.push(...validateIP(child(p, 'ip'), str(ha?.ip)));
    arr(ha?.hostnames).forEach((h, j) => errs.push(...validateDNS1123Subdomain(str(h), index(child(p, 'hostnames'), j))));
  });
  if (has(spec.runtimeClassName)) errs.push(...validateDNS1123Subdomain(str(spec.runtimeClassName), child(fld, 'runtimeClassName')));
  if (has(spec.preemptionPolicy)) {
    const pp = str(spec.preemptionPolicy);
    const ok = ['PreemptLowerPriority', 'Never'];
    if (!pp) errs.push(required(child(fld, 'preemptionPolicy')));
    else if (!ok.includes(pp)) errs.push(notSupported(child(fld, 'preemptionPolicy'), pp, ok));
  }
  if (has(spec.os)) {
    const name = str(spec.os.name);
    const ok = ['linux', 'windows'];
    if (!name) errs.push(required(child(fld, 'os', 'name')));
    else if (!ok.includes(name)) errs.push(notSupported(child(fld, 'os', 'name'), name, ok));
  }
  return errs;
}

/** Upstream ValidatePodTemplateSpec (labels, annotations, spec; no ephemeral containers). */
export function validatePodTemplateSpec(tmpl: unknown, fld: string, opts: PodSpecOptions = {}): FieldError[] {
  const t = obj(tmpl);
  const meta = obj(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, child(fld, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(fld, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(fld, 'spec'), opts));
  if (arr(obj(t.spec).ephemeralContainers).length > 0) {
    errs.push(forbidden(child(fld, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Pod

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function validateContainersOnlyForPod(containers: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((c, i) => {
    const image = str(c?.image);
    if (image.length !== image.trim().length) errs.push(invalid(child(index(fld, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return errs;
}

function validatePodMetadataAndSpec(pod: any): FieldError[] {
  const spec = obj(pod.spec);
  const errs = validatePodSpec(spec, 'spec', { isPod: true });
  const meta = obj(pod.metadata);
  const mirror = obj(meta.annotations)['kubernetes.io/config.mirror'];
  if (mirror !== undefined && !str(spec.nodeName)) {
    errs.push(invalid('metadata.annotations[kubernetes.io/config.mirror]', str(mirror), 'must set spec.nodeName if mirror pod annotation is set'));
  }
  errs.push(...validateContainersOnlyForPod(spec.containers, 'spec.containers'));
  errs.push(...validateContainersOnlyForPod(spec.initContainers, 'spec.initContainers'));
  return errs;
}

function validateContainerUpdates(newC: unknown, oldC: unknown, fld: string): { errs: FieldError[]; stop: boolean } {
  const a = arr(newC);
  const b = arr(oldC);
  if (a.length !== b.length) return { errs: [forbidden(fld, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  a.forEach((c, i) => {
    const image = str(c?.image);
    if (!image) errs.push(required(child(index(fld, i), 'image')));
    if (image.trim().length !== image.length) errs.push(invalid(child(index(fld, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(newT: unknown, oldT: unknown, fld: string): FieldError[] {
  const news = arr(newT);
  for (const old of arr(oldT)) {
    const found = news.some((n) => semanticEqual({ ...obj(old), tolerationSeconds: n?.tolerationSeconds }, n));
    if (!found) return [forbidden(fld, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(news, fld);
}

export function validatePod(pod: any, old?: any): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod);
  const spec = obj(pod.spec);
  if (!old) {
    if (arr(spec.ephemeralContainers).length > 0) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    if (str(spec.nodeName) && arr(spec.schedulingGates).length > 0) {
      errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    }
    return errs;
  }
  const oldSpec = obj(old.spec);
  let r = validateContainerUpdates(spec.containers, oldSpec.containers, 'spec.containers');
  errs.push(...r.errs);
  if (r.stop) return errs;
  r = validateContainerUpdates(spec.initContainers, oldSpec.initContainers, 'spec.initContainers');
  errs.push(...r.errs);
  if (r.stop) return errs;

  const ads = spec.activeDeadlineSeconds;
  if (has(ads)) {
    if (typeof ads !== 'number' || ads < 0 || ads > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < ads) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (has(oldSpec.activeDeadlineSeconds)) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  // scheduling gates may only be removed
  const oldGates = arr(oldSpec.schedulingGates).map((g) => str(g?.name));
  for (const g of arr(spec.schedulingGates)) {
    if (!oldGates.includes(str(g?.name))) {
      errs.push(forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate ' + JSON.stringify(str(g?.name))));
      break;
    }
  }
  if (semanticEqual(spec, oldSpec)) return errs;

  const munged: any = clone(spec);
  const oldContainers = arr(oldSpec.containers);
  munged.containers = arr(munged.containers).map((c, i) => ({ ...c, image: oldContainers[i]?.image }));
  if (has(munged.initContainers)) {
    const oldInit = arr(oldSpec.initContainers);
    munged.initContainers = arr(munged.initContainers).map((c, i) => ({ ...c, image: oldInit[i]?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (oldGates.length > 0) {
    // gated pods may gain nodeSelector entries and node affinity
    munged.nodeSelector = oldSpec.nodeSelector;
    if (isObj(munged.affinity) || isObj(oldSpec.affinity)) {
      munged.affinity = { ...obj(munged.affinity), nodeAffinity: obj(oldSpec.affinity).nodeAffinity };
    }
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(
      forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${renderDiff('core.PodSpec', oldSpec, munged)}`),
    );
  }
  return errs;
}

export function validatePodTemplate(t: any): FieldError[] {
  return validatePodTemplateSpec(t.template, 'template');
}

// ---------------------------------------------------------------------------
// ReplicationController

function mapSelectorMatches(sel: Record<string, any>, labels: Record<string, any>): boolean {
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

export function validateReplicationController(rc: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(rc.spec);
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const sel = obj(spec.selector);
  if (Object.keys(sel).length === 0) errs.push(required('spec.selector'));
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  if (!isObj(spec.template)) {
    errs.push(required('spec.template'));
    return errs;
  }
  const labels = obj(obj(spec.template.metadata).labels);
  if (Object.keys(sel).length > 0 && !mapSelectorMatches(sel, labels)) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(obj(spec.template.metadata).labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const rp = str(obj(spec.template.spec).restartPolicy);
  if (rp && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (has(obj(spec.template.spec).activeDeadlineSeconds)) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Service

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];

function isHeadless(svc: any): boolean {
  const ips = arr(obj(svc.spec).clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
}

function externallyAccessible(spec: any): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
}

function servicePortKey(p: any): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${JSON.stringify(str(p.protocol))}, AppProtocol:(*string)(nil), Port:${Number(p.port) || 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validateServicePort(sp: any, requireName: boolean, names: Set<string>, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && !name) errs.push(required(child(fld, 'name')));
  else if (name) {
    errs.push(...validateDNS1123Label(name, child(fld, 'name')));
    if (names.has(name)) errs.push(duplicate(child(fld, 'name'), name));
    else names.add(name);
  }
  const port = typeof sp.port === 'number' ? sp.port : 0;
  for (const m of isValidPortNum(port)) errs.push(invalid(child(fld, 'port'), port, m));
  const proto = str(sp.protocol);
  if (!proto) errs.push(required(child(fld, 'protocol')));
  else if (!SUPPORTED_PROTOCOLS.includes(proto)) errs.push(notSupported(child(fld, 'protocol'), proto, SUPPORTED_PROTOCOLS));
  if (has(sp.targetPort)) errs.push(...validatePortNumOrName(sp.targetPort, child(fld, 'targetPort')));
  if (has(sp.appProtocol)) errs.push(...validateQualifiedName(str(sp.appProtocol), child(fld, 'appProtocol')));
  return errs;
}

function validateClusterIPsRelated(svc: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(svc.spec);
  if (spec.type === 'ExternalName') return errs;
  const clusterIP = str(spec.clusterIP);
  const ips = arr(spec.clusterIPs).map(str);
  if (clusterIP) {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  arr(spec.ipFamilies).forEach((f, i) => {
    const fam = str(f);
    if (fam !== 'IPv4' && fam !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), fam, ['IPv4', 'IPv6']));
    if (seen.has(fam)) errs.push(duplicate(index('spec.ipFamilies', i), fam));
    seen.add(fam);
  });
  if (has(spec.ipFamilyPolicy)) {
    const ok = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!ok.includes(str(spec.ipFamilyPolicy))) errs.push(notSupported('spec.ipFamilyPolicy', str(spec.ipFamilyPolicy), ok));
  }
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), "'None' must be the first and only value"));
      return;
    }
    errs.push(...validateIP(index('spec.clusterIPs', i), ip));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may only hold up to 2 values'));
  if (ips.length === 2 && isIP(ips[0]) && isIP(ips[1]) && isIPv4(ips[0]) === isIPv4(ips[1])) {
    errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may specify no more than one IP for each IP family'));
  }
  // families must agree with the IPs
  const fams = arr(spec.ipFamilies).map(str);
  ips.forEach((ip, i) => {
    if (ip === 'None' || !isIP(ip) || i >= fams.length) return;
    const fam = isIPv6(ip) ? 'IPv6' : 'IPv4';
    if (fams[i] !== fam) {
      errs.push(invalid(index('spec.clusterIPs', i), goStringSlice(ips), `expected an ${fams[i]} value as indicated by \`ipFamilies[${i}]\``));
    }
  });
  return errs;
}

/**
 * Upstream drops fields that only make sense for the old service type when the
 * type changes (the strategy's dropTypeDependentFields); kts does it here, on
 * the object being validated, before the checks run.
 */
function dropTypeDependentFields(svc: any, old: any): void {
  const spec = obj(svc.spec);
  const os = obj(old.spec);
  if (spec.type === os.type) return;
  const needsNodePort = (s: any) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
  if (needsNodePort(os) && !needsNodePort(spec)) {
    const np = (s: any) => arr(s.ports).map((p) => p?.nodePort ?? 0);
    if (semanticEqual(np(spec), np(os))) for (const p of arr(spec.ports)) delete p.nodePort;
  }
  if (os.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.healthCheckNodePort === os.healthCheckNodePort) delete spec.healthCheckNodePort;
    if (spec.allocateLoadBalancerNodePorts === os.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === os.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(os) && !externallyAccessible(spec) && spec.externalTrafficPolicy === os.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
}

/**
 * Upstream's patchAllocatedValues: an update that leaves allocated values out
 * (clusterIP(s), node ports, health-check node port) keeps the old ones.
 */
function patchAllocatedValues(svc: any, old: any): void {
  const spec = obj(svc.spec);
  const os = obj(old.spec);
  const needsClusterIP = (s: any) => s.type !== 'ExternalName';
  if (needsClusterIP(os) && needsClusterIP(spec)) {
    if (!str(spec.clusterIP) && str(os.clusterIP)) spec.clusterIP = os.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(os.clusterIPs).length > 0) spec.clusterIPs = clone(os.clusterIPs);
  }
  const needsNodePort = (s: any) => s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (needsNodePort(os) && needsNodePort(spec)) {
    const usedNew = new Set(arr(spec.ports).map((p) => p?.nodePort).filter(Boolean));
    const used = new Set(arr(os.ports).map((p) => p?.nodePort).filter((n) => n && usedNew.has(n)));
    const byName = new Map<string, number>();
    for (const p of arr(os.ports)) byName.set(str(p?.name), p?.nodePort ?? 0);
    for (const p of arr(spec.ports)) {
      if (!isObj(p) || p.nodePort) continue;
      const v = byName.get(str(p.name));
      if (v && !used.has(v)) p.nodePort = v;
    }
  }
  const needsHC = (s: any) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
  if (needsHC(os) && needsHC(spec) && !spec.healthCheckNodePort && os.healthCheckNodePort) spec.healthCheckNodePort = os.healthCheckNodePort;
}

export function validateService(svc: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  if (old && isObj(svc.spec)) {
    patchAllocatedValues(svc, old);
    dropTypeDependentFields(svc, old);
  }
  const spec = obj(svc.spec);
  const type = str(spec.type);
  const headless = isHeadless(svc);
  if (old) errs.push(...validateServiceUpdate(svc, old));

  if (arr(spec.ports).length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  switch (type) {
    case 'LoadBalancer':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (arr(spec.clusterIPs).length > 0) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (arr(spec.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (has(spec.ipFamilyPolicy)) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = str(spec.externalName).replace(/\.$/, '');
      if (cname) errs.push(...validateDNS1123Subdomain(cname, 'spec.externalName'));
      else errs.push(required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  const ports = arr(spec.ports);
  ports.forEach((p, i) => errs.push(...validateServicePort(obj(p), ports.length > 1, names, index('spec.ports', i))));
  if (isObj(spec.selector)) errs.push(...validateLabels(spec.selector, 'spec.selector'));

  const sa = str(spec.sessionAffinity);
  if (has(spec.sessionAffinity) && !sa) errs.push(required('spec.sessionAffinity'));
  else if (sa && !SESSION_AFFINITIES.includes(sa)) errs.push(notSupported('spec.sessionAffinity', sa, SESSION_AFFINITIES));
  if (sa === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const when = 'when session affinity type is ClientIP';
    if (!isObj(cfg)) errs.push(required('spec.sessionAffinityConfig', when));
    else if (!isObj(cfg.clientIP)) errs.push(required('spec.sessionAffinityConfig.clientIP', when));
    else if (!has(cfg.clientIP.timeoutSeconds)) errs.push(required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', when));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (typeof t !== 'number' || t <= 0 || t > 86400) {
        errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400'));
      }
    }
  } else if (sa === 'None' && has(spec.sessionAffinityConfig)) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  errs.push(...validateClusterIPsRelated(svc));
  arr(spec.externalIPs).forEach((ip, i) => errs.push(...validateIP(index('spec.externalIPs', i), str(ip))));

  if (has(spec.type) && !type) errs.push(required('spec.type'));
  else if (type && !SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));

  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p?.nodePort) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p?.nodePort) return;
    const k = `${str(p.protocol)}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${str(p?.protocol)}/${p?.port}`;
    if (portKeys.has(k)) errs.push(duplicate(index('spec.ports', i), servicePortKey(obj(p))));
    portKeys.add(k);
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(index('spec.LoadBalancerSourceRanges', i), str(r).trim())));
  }
  if (has(spec.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && !has(spec.allocateLoadBalancerNodePorts)) errs.push(required('allocateLoadBalancerNodePorts'));
  if (has(spec.loadBalancerClass)) {
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.loadBalancerClass', 'may only be used when `type` is \'LoadBalancer\''));
    else errs.push(...validateQualifiedName(str(spec.loadBalancerClass), 'spec.loadBalancerClass'));
  }
  // external traffic policy
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (has(spec.externalTrafficPolicy)) {
    if (!etp) errs.push(required('spec.externalTrafficPolicy'));
    else if (etp !== 'Cluster' && etp !== 'Local') errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const needsHC = type === 'LoadBalancer' && etp === 'Local';
  if (!needsHC) {
    if (spec.healthCheckNodePort) {
      errs.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (spec.healthCheckNodePort) {
    for (const m of isValidPortNum(spec.healthCheckNodePort)) errs.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, m));
  }
  if (has(spec.internalTrafficPolicy) && !['Cluster', 'Local'].includes(str(spec.internalTrafficPolicy))) {
    errs.push(notSupported('spec.internalTrafficPolicy', str(spec.internalTrafficPolicy), ['Cluster', 'Local']));
  }
  if (has(spec.trafficDistribution) && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', str(spec.trafficDistribution), ['PreferClose']));
  }
  return errs;
}

function validateServiceUpdate(svc: any, old: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(svc.spec);
  const os = obj(old.spec);
  if (spec.type === 'ExternalName' || os.type === 'ExternalName') return errs;
  const newIPs = arr(spec.clusterIPs).map(str);
  const oldIPs = arr(os.clusterIPs).map(str);
  // an update that leaves the allocated IPs out keeps them (the server carries them over)
  if (newIPs.length === 0 && !str(spec.clusterIP)) return errs;
  if (isHeadless(svc) && isHeadless(old)) return errs;
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalid(index('spec.clusterIPs', i), goStringSlice(newIPs), 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(invalid('spec.clusterIPs[0]', goStringSlice(newIPs), 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(invalid('spec.clusterIPs[0]', goStringSlice(newIPs), 'may not change once set'));
    }
    if (newIPs.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.clusterIPs[0]', goStringSlice(newIPs), "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid('spec.clusterIPs[0]', goStringSlice(newIPs), 'may not change once set'));
  }
  const nf = arr(spec.ipFamilies).map(str);
  const of = arr(os.ipFamilies).map(str);
  if (nf.length && of.length && nf[0] !== of[0]) {
    errs.push(invalid('spec.ipFamilies[0]', goStringSlice(nf, '[]core.IPFamily'), 'may not change once set'));
  }
  if (os.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && os.externalTrafficPolicy === 'Local' && spec.externalTrafficPolicy === 'Local') {
    if (spec.healthCheckNodePort && os.healthCheckNodePort && spec.healthCheckNodePort !== os.healthCheckNodePort) {
      errs.push(forbidden('spec.healthCheckNodePort', FIELD_IMMUTABLE));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// ConfigMap and Secret

function base64Len(s: string): number | undefined {
  const t = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || (t.length % 4 !== 0 && !/^[A-Za-z0-9+/]*$/.test(t))) return undefined;
  const pad = t.endsWith('==') ? 2 : t.endsWith('=') ? 1 : 0;
  if (t.length % 4 === 0) return (t.length / 4) * 3 - pad;
  const rem = t.length % 4;
  if (rem === 1) return undefined;
  return Math.floor(t.length / 4) * 3 + (rem - 1);
}

function decodeBase64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

export function validateConfigMap(cm: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  if (old && old.immutable === true) {
    if (cm.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.data, old.data)) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(cm.binaryData, old.binaryData)) errs.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  let total = 0;
  const binary = obj(cm.binaryData);
  for (const [k, v] of Object.entries(obj(cm.data))) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLen(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    total += base64Len(str(v)) ?? 0;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateSecret(secret: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  if (old) {
    const nt = str(secret.type);
    const ot = str(old.type);
    if (nt !== ot) errs.push(invalid('type', nt, FIELD_IMMUTABLE));
    if (old.immutable === true) {
      if (secret.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (!semanticEqual(secret.data, old.data)) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
  }
  const data = obj(secret.data);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    const n = base64Len(str(v));
    if (n === undefined) errs.push(invalid(key('data', k), '<secret contents redacted>', 'illegal base64 data'));
    else total += n;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const annotations = obj(obj(secret.metadata).annotations);
  const jsonKey = (k: string) => {
    if (!(k in data)) {
      errs.push(required(key('data', k)));
      return;
    }
    try {
      const parsed = JSON.parse(decodeBase64(str(data[k])));
      if (!isObj(parsed)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
    } catch (e) {
      errs.push(invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
    }
  };
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token':
      if (!str(annotations['kubernetes.io/service-account.name'])) {
        errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case 'kubernetes.io/dockercfg':
      jsonKey('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      jsonKey('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) {
        errs.push(required('data[username]'));
        errs.push(required('data[password]'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!str(data['ssh-privatekey'])) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!('tls.crt' in data)) errs.push(required('data[tls.crt]'));
      if (!('tls.key' in data)) errs.push(required('data[tls.key]'));
      break;
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Namespace, Node, ServiceAccount

export function validateNamespace(ns: any): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of arr(obj(ns.spec).finalizers)) {
    errs.push(...validateFinalizerName(str(f), 'spec.finalizers'));
    errs.push(...validateKubeFinalizerName(str(f), 'spec.finalizers'));
  }
  return errs;
}

function taintValue(t: any): GoValue {
  return goStruct('core.Taint', t, [
    ['key', 'Key', 'string'],
    ['value', 'Value', 'string'],
    ['effect', 'Effect', 'string'],
    ['timeAdded', 'TimeAdded', 'raw'],
  ]);
}

export function validateNode(node: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(node.spec);
  const uniq = new Map<string, Set<string>>();
  arr(spec.taints).forEach((raw, i) => {
    const t = obj(raw);
    const p = index('spec.taints', i);
    errs.push(...validateLabelName(str(t.key), child(p, 'key')));
    const vm = isValidLabelValue(str(t.value));
    if (vm.length) errs.push(invalid(child(p, 'value'), str(t.value), vm.join(';')));
    errs.push(...validateTaintEffect(str(t.effect), false, child(p, 'effect')));
    const set = uniq.get(str(t.effect)) ?? new Set();
    if (set.has(str(t.key))) {
      errs.push({ ...duplicate(p, taintValue(t)), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    set.add(str(t.key));
    uniq.set(str(t.effect), set);
  });
  if (str(spec.podCIDR)) errs.push(...validateCIDR('spec.podCIDR', str(spec.podCIDR)));
  arr(spec.podCIDRs).forEach((c, i) => errs.push(...validateCIDR(index('spec.podCIDRs', i), str(c))));
  if (arr(spec.podCIDRs).length > 2) errs.push(invalid('spec.podCIDRs', goStringSlice(spec.podCIDRs), 'may specify no more than one CIDR for each IP family'));
  if (old) {
    const os = obj(old.spec);
    const oldCIDRs = arr(os.podCIDRs);
    if (oldCIDRs.length > 0 && !semanticEqual(oldCIDRs, arr(spec.podCIDRs))) {
      errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
    if (str(os.providerID) && str(os.providerID) !== str(spec.providerID)) {
      errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// PersistentVolumeClaim and PersistentVolume

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

export function validatePersistentVolumeClaimSpec(specIn: unknown, fld: string): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  const modes = arr(spec.accessModes);
  if (modes.length === 0) errs.push(required(child(fld, 'accessModes'), 'at least 1 access mode is required'));
  const seen = new Set<string>();
  for (const m of modes) {
    const s = str(m);
    if (!ACCESS_MODES.includes(s)) errs.push(notSupported(child(fld, 'accessModes'), s, ACCESS_MODES));
    seen.add(s);
  }
  if (seen.has('ReadWriteOncePod') && seen.size > 1) {
    errs.push(forbidden(child(fld, 'accessModes'), 'may not use ReadWriteOncePod with other access modes'));
  }
  if (has(spec.selector)) {
    // label selector syntax
    const sel = obj(spec.selector);
    errs.push(...validateLabels(sel.matchLabels, child(fld, 'selector', 'matchLabels')));
  }
  const requests = obj(obj(spec.resources).requests);
  const storagePath = key(child(fld, 'resources'), 'storage');
  if (!('storage' in requests)) {
    errs.push(required(storagePath));
  } else {
    const q = parseQuantity(requests.storage);
    if (!q) errs.push(invalid(storagePath, str(requests.storage), QUANTITY_REGEX_ERROR));
    else if (compareQuantity(q, { num: 0n, den: 1n, format: 'DecimalSI' }) <= 0) errs.push(invalid(storagePath, formatQuantity(q), 'must be greater than zero'));
  }
  if (has(spec.storageClassName) && str(spec.storageClassName)) {
    for (const m of nameIsDNSSubdomain(str(spec.storageClassName), false)) errs.push(invalid(child(fld, 'storageClassName'), str(spec.storageClassName), m));
  }
  if (has(spec.volumeMode) && !VOLUME_MODES.includes(str(spec.volumeMode))) {
    errs.push(notSupported(child(fld, 'volumeMode'), str(spec.volumeMode), VOLUME_MODES));
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: any, old?: any): FieldError[] {
  const errs = validatePersistentVolumeClaimSpec(pvc.spec, 'spec');
  if (!old) return errs;
  const newSpec: any = clone(obj(pvc.spec));
  const oldSpec: any = clone(obj(old.spec));
  if (!str(oldSpec.volumeName)) oldSpec.volumeName = newSpec.volumeName;
  const bound = str(obj(pvc.status).phase) === 'Bound';
  if (bound && isObj(obj(newSpec.resources).requests)) {
    newSpec.resources.requests.storage = obj(oldSpec.resources).requests?.storage;
    if (has(newSpec.volumeAttributesClassName)) newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!semanticEqual(newSpec, oldSpec)) {
    errs.push(
      forbidden(
        'spec',
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${renderDiff('core.PersistentVolumeClaimSpec', oldSpec, newSpec)}`,
      ),
    );
  }
  const oldSize = parseQuantity(obj(obj(obj(old.spec).resources).requests).storage);
  const newSize = parseQuantity(obj(obj(obj(pvc.spec).resources).requests).storage);
  if (oldSize && newSize && compareQuantity(newSize, oldSize) < 0) {
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  if (str(obj(pvc.spec).volumeMode) !== str(obj(old.spec).volumeMode)) {
    errs.push(invalid('volumeMode', has(obj(pvc.spec).volumeMode) ? str(pvc.spec.volumeMode) : null, FIELD_IMMUTABLE));
  }
  return errs;
}

const PV_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'flocker',
  'nfs',
  'rbd',
  'quobyte',
  'cinder',
  'cephfs',
  'iscsi',
  'fc',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

export function validatePersistentVolume(pv: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(pv.spec);
  const modes = arr(spec.accessModes);
  if (modes.length === 0) errs.push(required('spec.accessModes'));
  for (const m of modes) if (!ACCESS_MODES.includes(str(m))) errs.push(notSupported('spec.accessModes', str(m), ACCESS_MODES));
  const cap = obj(spec.capacity);
  if (Object.keys(cap).length === 0) errs.push(required('spec.capacity'));
  if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(notSupported('spec.capacity', goObject('core.ResourceList', cap), ['storage']));
  for (const [r, v] of Object.entries(cap)) {
    const q = parseQuantity(v);
    if (!q) errs.push(invalid(key('spec.capacity', r), str(v), QUANTITY_REGEX_ERROR));
    else if (compareQuantity(q, { num: 0n, den: 1n, format: 'DecimalSI' }) <= 0) errs.push(invalid(key('spec.capacity', r), formatQuantity(q), 'must be greater than zero'));
  }
  if (has(spec.persistentVolumeReclaimPolicy) && str(spec.persistentVolumeReclaimPolicy) && !RECLAIM_POLICIES.includes(str(spec.persistentVolumeReclaimPolicy))) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', str(spec.persistentVolumeReclaimPolicy), RECLAIM_POLICIES));
  }
  if (has(spec.volumeMode) && !VOLUME_MODES.includes(str(spec.volumeMode))) errs.push(notSupported('spec.volumeMode', str(spec.volumeMode), VOLUME_MODES));
  let n = 0;
  for (const s of PV_SOURCES) {
    if (!has(spec[s])) continue;
    if (n > 0) errs.push(forbidden(child('spec', s), 'may not specify more than 1 volume type'));
    n++;
    if (s === 'hostPath') {
      if (!str(spec.hostPath.path)) errs.push(required('spec.hostPath.path'));
      else errs.push(...validatePathNoBacksteps(str(spec.hostPath.path), 'spec.hostPath.path'));
    } else if (s === 'local') {
      if (!str(spec.local.path)) errs.push(required('spec.local.path'));
    } else if (s === 'nfs') {
      if (!str(spec.nfs.server)) errs.push(required('spec.nfs.server'));
      if (!str(spec.nfs.path)) errs.push(required('spec.nfs.path'));
    } else if (s === 'csi') {
      if (!str(spec.csi.driver)) errs.push(required('spec.csi.driver'));
      if (!str(spec.csi.volumeHandle)) errs.push(required('spec.csi.volumeHandle'));
    }
  }
  if (n === 0) errs.push(required('spec', 'must specify a volume type'));
  if (has(spec.storageClassName) && str(spec.storageClassName)) {
    for (const m of nameIsDNSSubdomain(str(spec.storageClassName), false)) errs.push(invalid('spec.storageClassName', str(spec.storageClassName), m));
  }
  if (old) {
    if (str(obj(old.spec).volumeMode) !== str(spec.volumeMode)) {
      errs.push(invalid('volumeMode', has(spec.volumeMode) ? str(spec.volumeMode) : null, FIELD_IMMUTABLE));
    }
    for (const s of PV_SOURCES) {
      if (has(obj(old.spec)[s]) && !semanticEqual(obj(old.spec)[s], spec[s])) {
        errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
        break;
      }
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Endpoints (ports and addresses, lightly)

export function validateEndpoints(ep: any): FieldError[] {
  const errs: FieldError[] = [];
  arr(ep.subsets).forEach((ss, i) => {
    const p = index('subsets', i);
    for (const k of ['addresses', 'notReadyAddresses']) {
      arr(ss?.[k]).forEach((a, j) => errs.push(...validateIP(child(index(child(p, k), j), 'ip'), str(a?.ip))));
    }
    const ports = arr(ss?.ports);
    ports.forEach((pt, j) => {
      const pp = index(child(p, 'ports'), j);
      if (ports.length > 1 && !str(pt?.name)) errs.push(required(child(pp, 'name')));
      else if (str(pt?.name)) errs.push(...validateDNS1123Label(str(pt.name), child(pp, 'name')));
      for (const m of isValidPortNum(Number(pt?.port ?? 0))) errs.push(invalid(child(pp, 'port'), pt?.port ?? 0, m));
      const proto = str(pt?.protocol);
      if (!proto) errs.push(required(child(pp, 'protocol')));
      else if (!SUPPORTED_PROTOCOLS.includes(proto)) errs.push(notSupported(child(pp, 'protocol'), proto, SUPPORTED_PROTOCOLS));
    });
  });
  return errs;
}

