// The Pod Security Standards checks (k8s.io/pod-security-admission/policy),
// at the versions current for Kubernetes v1.32. Each check takes a pod's
// metadata and spec (plain JSON) and returns undefined when the pod passes,
// else upstream's reason and detail texts, word for word.

export interface CheckFailure {
  reason: string;
  detail: string;
}

export type Check = (meta: any, spec: any) => CheckFailure | undefined;

const plural = (one: string, many: string, n: number): string => (n === 1 ? one : many);
const quoted = (items: string[]): string => items.map((s) => `"${s}"`).join(', ');
const sortedUnique = (items: Iterable<string>): string[] => [...new Set(items)].sort();
/** `container "a"` / `containers "a", "b"`. */
const containersText = (names: string[]): string => `${plural('container', 'containers', names.length)} ${quoted(names)}`;

/** Init, regular and ephemeral containers, in upstream's visiting order. */
export function allContainers(spec: any): any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
}

const isWindows = (spec: any): boolean => spec?.os?.name === 'windows';

/** "pod", "containers ..." joined by " and " — who set a forbidden value. */
function setters(podBad: boolean, badContainers: string[]): string[] {
  const out: string[] = [];
  if (podBad) out.push('pod');
  if (badContainers.length) out.push(containersText(badContainers));
  return out;
}

// ---- baseline ----

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

export const appArmorProfile: Check = (meta, spec) => {
  const okType = (t: string): boolean => t === 'RuntimeDefault' || t === 'Localhost';
  const badValues = new Set<string>();
  let podBad = false;
  const podProfile = spec?.securityContext?.appArmorProfile;
  if (podProfile && !okType(podProfile.type)) {
    podBad = true;
    badValues.add(String(podProfile.type ?? ''));
  }
  const bad: string[] = [];
  for (const c of allContainers(spec)) {
    const p = c.securityContext?.appArmorProfile;
    if (p && !okType(p.type)) {
      bad.push(c.name);
      badValues.add(String(p.type ?? ''));
    }
  }
  const who = setters(podBad, bad);
  const annotations = Object.entries((meta?.annotations ?? {}) as Record<string, string>)
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort();
  const values = [...[...badValues].sort(), ...annotations];
  if (annotations.length) who.push(plural('annotation', 'annotations', annotations.length));
  if (!who.length) return undefined;
  return {
    reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    detail: `${who.join(' and ')} must not set AppArmor profile type to ${quoted(values)}`,
  };
};

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

export const capabilitiesBaseline: Check = (_meta, spec) => {
  const bad: string[] = [];
  const caps: string[] = [];
  for (const c of allContainers(spec)) {
    const extra = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) {
      bad.push(c.name);
      caps.push(...extra);
    }
  }
  if (!bad.length) return undefined;
  return { reason: 'non-default capabilities', detail: `${containersText(bad)} must not include ${quoted(sortedUnique(caps))} in securityContext.capabilities.add` };
};

export const hostNamespaces: Check = (_meta, spec) => {
  const used = [spec?.hostNetwork && 'hostNetwork=true', spec?.hostPID && 'hostPID=true', spec?.hostIPC && 'hostIPC=true'].filter(Boolean) as string[];
  return used.length ? { reason: 'host namespaces', detail: used.join(', ') } : undefined;
};

export const hostPathVolumes: Check = (_meta, spec) => {
  const names = ((spec?.volumes ?? []) as any[]).filter((v) => v.hostPath).map((v) => v.name as string);
  return names.length ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', names.length)} ${quoted(names)}` } : undefined;
};

export const hostPorts: Check = (_meta, spec) => {
  const bad: string[] = [];
  const ports = new Set<string>();
  for (const c of allContainers(spec)) {
    const used = ((c.ports ?? []) as any[]).filter((p) => p.hostPort);
    for (const p of used) ports.add(String(p.hostPort));
    if (used.length) bad.push(c.name);
  }
  if (!bad.length) return undefined;
  const list = [...ports].sort(); // upstream sorts the port numbers as strings
  return {
    reason: 'hostPort',
    detail: `${containersText(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  };
};

export const privileged: Check = (_meta, spec) => {
  const bad = allContainers(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name as string);
  return bad.length ? { reason: 'privileged', detail: `${containersText(bad)} must not set securityContext.privileged=true` } : undefined;
};

export const procMount: Check = (_meta, spec) => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const c of allContainers(spec)) {
    const t = c.securityContext?.procMount;
    if (t !== undefined && t !== null && t !== 'Default') {
      bad.push(c.name);
      types.push(t);
    }
  }
  if (!bad.length) return undefined;
  return { reason: 'procMount', detail: `${containersText(bad)} must not set securityContext.procMount to ${quoted(sortedUnique(types))}` };
};

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

export const seLinuxOptions: Check = (_meta, spec) => {
  const badTypes = new Set<string>();
  let setUser = false;
  let setRole = false;
  const valid = (o: any): boolean => {
    let ok = true;
    const type = o.type ?? '';
    if (!SELINUX_TYPES.has(type)) {
      ok = false;
      badTypes.add(type);
    }
    if (o.user) {
      ok = false;
      setUser = true;
    }
    if (o.role) {
      ok = false;
      setRole = true;
    }
    return ok;
  };
  const podOpts = spec?.securityContext?.seLinuxOptions;
  const podBad = !!podOpts && !valid(podOpts);
  const bad = allContainers(spec)
    .filter((c) => c.securityContext?.seLinuxOptions && !valid(c.securityContext.seLinuxOptions))
    .map((c) => c.name as string);
  const who = setters(podBad, bad);
  if (!who.length) return undefined;
  const data: string[] = [];
  if (badTypes.size) data.push(`${plural('type', 'types', badTypes.size)} ${quoted([...badTypes].sort())}`);
  if (setUser) data.push('user may not be set');
  if (setRole) data.push('role may not be set');
  return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
};

const validSeccomp = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';

/** Explicitly set seccomp profiles that are neither RuntimeDefault nor Localhost. */
function badSeccomp(spec: any): { podBad: boolean; podSet: boolean; bad: string[]; unset: string[]; values: string[] } {
  const values = new Set<string>();
  const podProfile = spec?.securityContext?.seccompProfile;
  const podBad = !!podProfile && !validSeccomp(podProfile.type);
  if (podBad) values.add(String(podProfile.type ?? ''));
  const podSet = !!podProfile && !podBad;
  const bad: string[] = [];
  const unset: string[] = [];
  for (const c of allContainers(spec)) {
    const p = c.securityContext?.seccompProfile;
    if (p) {
      if (!validSeccomp(p.type)) {
        bad.push(c.name);
        values.add(String(p.type ?? ''));
      }
    } else if (!podSet) {
      unset.push(c.name);
    }
  }
  return { podBad, podSet, bad, unset, values: [...values].sort() };
}

export const seccompProfileBaseline: Check = (_meta, spec) => {
  const s = badSeccomp(spec);
  const who = setters(s.podBad, s.bad);
  if (!who.length) return undefined;
  return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${quoted(s.values)}` };
};

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

export const sysctls: Check = (_meta, spec) => {
  const bad = ((spec?.securityContext?.sysctls ?? []) as any[]).map((s) => s.name as string).filter((n) => !SAFE_SYSCTLS.has(n));
  return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
};

export const windowsHostProcess: Check = (_meta, spec) => {
  const bad = allContainers(spec).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name as string);
  const who = setters(spec?.securityContext?.windowsOptions?.hostProcess === true, bad);
  return who.length ? { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
};

// ---- restricted ----

export const allowPrivilegeEscalation: Check = (_meta, spec) => {
  if (isWindows(spec)) return undefined;
  const bad = allContainers(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name as string);
  return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersText(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
};

export const capabilitiesRestricted: Check = (_meta, spec) => {
  if (isWindows(spec)) return undefined;
  const missingDrop: string[] = [];
  const adding: string[] = [];
  const caps: string[] = [];
  for (const c of allContainers(spec)) {
    const cs = c.securityContext?.capabilities;
    if (!cs) {
      missingDrop.push(c.name);
      continue;
    }
    if (!((cs.drop ?? []) as string[]).includes('ALL')) missingDrop.push(c.name);
    const extra = ((cs.add ?? []) as string[]).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length) {
      adding.push(c.name);
      caps.push(...extra);
    }
  }
  const details: string[] = [];
  if (missingDrop.length) details.push(`${containersText(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containersText(adding)} must not include ${quoted(sortedUnique(caps))} in securityContext.capabilities.add`);
  return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
};

/** Volume sources the restricted level allows, then the names upstream reports for the others. */
const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
const RESTRICTED_VOLUME_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

export const restrictedVolumes: Check = (_meta, spec) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of (spec?.volumes ?? []) as any[]) {
    if (ALLOWED_VOLUME_SOURCES.some((s) => v[s] != null)) continue;
    bad.push(v.name);
    types.add(RESTRICTED_VOLUME_SOURCES.find((s) => v[s] != null) ?? 'unknown');
  }
  if (!bad.length) return undefined;
  return {
    reason: 'restricted volume types',
    detail: `${plural('volume', 'volumes', bad.length)} ${quoted(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.size)} ${quoted([...types].sort())}`,
  };
};

export const runAsNonRoot: Check = (_meta, spec) => {
  const podValue = spec?.securityContext?.runAsNonRoot;
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of allContainers(spec)) {
    const v = c.securityContext?.runAsNonRoot;
    if (v !== undefined && v !== null) {
      if (!v) explicit.push(c.name);
    } else if (podValue !== true) {
      implicit.push(c.name);
    }
  }
  const who = setters(podValue === false, explicit);
  if (who.length) return { reason: 'runAsNonRoot != true', detail: `${who.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersText(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
};

export const runAsUser: Check = (_meta, spec) => {
  const bad = allContainers(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name as string);
  const who = setters(spec?.securityContext?.runAsUser === 0, bad);
  return who.length ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
};

export const seccompProfileRestricted: Check = (_meta, spec) => {
  if (isWindows(spec)) return undefined;
  const s = badSeccomp(spec);
  const who = setters(s.podBad, s.bad);
  if (who.length) return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${quoted(s.values)}` };
  if (s.unset.length) {
    return { reason: 'seccompProfile', detail: `pod or ${containersText(s.unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  }
  return undefined;
};

/**
 * The checks of each level in upstream's order: baseline check ids sorted,
 * then restricted ids sorted; restricted replaces the baseline checks it
 * overrides (capabilities, hostPath volumes, seccomp).
 */
export const BASELINE_CHECKS: readonly Check[] = [
  appArmorProfile, // appArmorProfile
  capabilitiesBaseline, // capabilities_baseline
  hostNamespaces, // hostNamespaces
  hostPathVolumes, // hostPathVolumes
  hostPorts, // hostPorts
  privileged, // privileged
  procMount, // procMount
  seLinuxOptions, // seLinuxOptions
  seccompProfileBaseline, // seccompProfile_baseline
  sysctls, // sysctls
  windowsHostProcess, // windowsHostProcess
];

export const RESTRICTED_CHECKS: readonly Check[] = [
  ...BASELINE_CHECKS.filter((c) => c !== capabilitiesBaseline && c !== hostPathVolumes && c !== seccompProfileBaseline),
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
];
