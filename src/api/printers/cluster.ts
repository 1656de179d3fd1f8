// Table printers for networking, policy, rbac, certificates, coordination,
// storage, admissionregistration, scheduling, node and discovery resources.

import { humanDuration } from './duration.js';
import { formatLabelSelector, int, intOrString, listWithMore, selectorString, since } from './format.js';
import { AGE_COLUMN, NAME_COLUMN, col, type Printer } from './types.js';

const name = (obj: any): string => obj?.metadata?.name ?? '';
const age = (obj: any, now: Date): string => since(obj?.metadata?.creationTimestamp, now);

// ---------------------------------------------------------------- networking.k8s.io

export function ingressHosts(rules: any[] | undefined): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of rules ?? []) {
    if (list.length === max) more = true;
    if (!more && rule?.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${(rules ?? []).length - max} more...` : ret;
}

function ingressAddress(ingress: any[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Class', 'string', 'IngressClass that handles this ingress.'),
    col('Hosts', 'string', 'Host names the rules match.'),
    col('Address', 'string', 'Load-balancer addresses of the ingress.'),
    col('Ports', 'string', 'Ports the ingress serves (443 when TLS is configured).'),
    AGE_COLUMN,
  ],
  cells(ing, now) {
    const spec = ing?.spec ?? {};
    return [
      name(ing),
      spec.ingressClassName ?? '<none>',
      ingressHosts(spec.rules),
      ingressAddress(ing?.status?.loadBalancer?.ingress),
      (spec.tls ?? []).length > 0 ? '80, 443' : '80',
      age(ing, now),
    ];
  },
};

const ingressClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller implementing this class.'),
    col('Parameters', 'string', 'Resource holding extra configuration for the controller.'),
    AGE_COLUMN,
  ],
  cells(ic, now) {
    const p = ic?.spec?.parameters;
    let params = '<none>';
    if (p) {
      params = p.kind ?? '';
      if (p.apiGroup !== undefined && p.apiGroup !== null) params += `.${p.apiGroup}`;
      params += `/${p.name ?? ''}`;
    }
    return [name(ic), ic?.spec?.controller ?? '', params, age(ic, now)];
  },
};

const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, col('Pod-Selector', 'string', 'Pods the policy applies to.'), AGE_COLUMN],
  cells: (np, now) => [name(np), formatLabelSelector(np?.spec?.podSelector ?? {}), age(np, now)],
};

// ---------------------------------------------------------------- policy

const pdbPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Min Available', 'string', 'Pods that must stay available.'),
    col('Max Unavailable', 'string', 'Pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Pods that may be disrupted right now.'),
    AGE_COLUMN,
  ],
  cells(pdb, now) {
    const spec = pdb?.spec ?? {};
    const present = (v: unknown) => v !== undefined && v !== null;
    return [
      name(pdb),
      present(spec.minAvailable) ? intOrString(spec.minAvailable) : 'N/A',
      present(spec.maxUnavailable) ? intOrString(spec.maxUnavailable) : 'N/A',
      int(pdb?.status?.disruptionsAllowed),
      age(pdb, now),
    ];
  },
};

// ---------------------------------------------------------------- rbac

function subjects(list: any[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of list ?? []) {
    if (s?.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name ?? ''}`);
    else if (s?.kind === 'User') users.push(s.name ?? '');
    else if (s?.kind === 'Group') groups.push(s.name ?? '');
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const bindingPrinter = (what: string): Printer => ({
  columns: [
    NAME_COLUMN,
    col('Role', 'string', 'Role granted, as kind/name.'),
    AGE_COLUMN,
    col('Users', 'string', `Users named in the ${what}.`, 1),
    col('Groups', 'string', `Groups named in the ${what}.`, 1),
    col('ServiceAccounts', 'string', `Service accounts named in the ${what}.`, 1),
  ],
  cells(b, now) {
    const ref = b?.roleRef ?? {};
    return [name(b), `${ref.kind ?? ''}/${ref.name ?? ''}`, age(b, now), ...subjects(b?.subjects)];
  },
});

// ---------------------------------------------------------------- certificates.k8s.io

export function csrCondition(csr: any): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const c of csr?.status?.conditions ?? []) {
    if (c?.type === 'Approved') approved = true;
    else if (c?.type === 'Denied') denied = true;
    else if (c?.type === 'Failed') failed = true;
  }
  let status = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) status += ',Failed';
  if (csr?.status?.certificate) status += ',Issued';
  return status;
}

const csrPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'string', 'Signer the request is addressed to.'),
    col('Requestor', 'string', 'User who created the request.'),
    col('RequestedDuration', 'string', 'Validity period the requestor asked for.'),
    col('Condition', 'string', 'Approval state and whether a certificate was issued.'),
  ],
  cells(csr, now) {
    const spec = csr?.spec ?? {};
    const secs = spec.expirationSeconds;
    return [
      name(csr),
      age(csr, now),
      spec.signerName || '<none>',
      spec.username ?? '',
      typeof secs === 'number' ? humanDuration(int(secs) * 1000) : '<none>',
      csrCondition(csr),
    ];
  },
};

// ---------------------------------------------------------------- coordination.k8s.io

const leasePrinter: Printer = {
  columns: [NAME_COLUMN, col('Holder', 'string', 'Identity currently holding the lease.'), AGE_COLUMN],
  cells: (l, now) => [name(l), l?.spec?.holderIdentity ?? '', age(l, now)],
};

// ---------------------------------------------------------------- storage.k8s.io

function isDefaultClass(obj: any): boolean {
  const a = obj?.metadata?.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

const storageClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'string', 'Volume plugin that provisions volumes of this class.'),
    col('ReclaimPolicy', 'string', 'Reclaim policy of provisioned volumes.'),
    col('VolumeBindingMode', 'string', 'When volumes are bound and provisioned.'),
    col('AllowVolumeExpansion', 'string', 'Whether volumes of this class may be resized.'),
    AGE_COLUMN,
  ],
  cells(sc, now) {
    return [
      isDefaultClass(sc) ? `${name(sc)} (default)` : name(sc),
      sc?.provisioner ?? '',
      sc?.reclaimPolicy || 'Delete',
      sc?.volumeBindingMode || 'Immediate',
      sc?.allowVolumeExpansion === true,
      age(sc, now),
    ];
  },
};

const csiDriverPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('AttachRequired', 'boolean', 'Whether volumes need an attach step.'),
    col('PodInfoOnMount', 'boolean', 'Whether pod details are passed on mount.'),
    col('StorageCapacity', 'boolean', 'Whether the driver reports storage capacity.'),
    col('TokenRequests', 'string', 'Audiences of service account tokens passed to the driver.'),
    col('RequiresRepublish', 'boolean', 'Whether volumes are periodically re-published.'),
    col('Modes', 'string', 'Supported volume lifecycle modes.'),
    AGE_COLUMN,
  ],
  cells(d, now) {
    const spec = d?.spec ?? {};
    // Defaulting fills in Persistent when no lifecycle mode is listed.
    const modes: string[] = spec.volumeLifecycleModes?.length ? spec.volumeLifecycleModes : ['Persistent'];
    const tokens: any[] | undefined = spec.tokenRequests ?? undefined;
    return [
      name(d),
      spec.attachRequired ?? true,
      spec.podInfoOnMount ?? false,
      spec.storageCapacity ?? false,
      tokens ? tokens.map((t) => t?.audience ?? '').join(',') : '<unset>',
      spec.requiresRepublish ?? false,
      modes.join(','),
      age(d, now),
    ];
  },
};

const csiNodePrinter: Printer = {
  columns: [NAME_COLUMN, col('Drivers', 'integer', 'CSI drivers registered on the node.'), AGE_COLUMN],
  cells: (n, now) => [name(n), (n?.spec?.drivers ?? []).length, age(n, now)],
};

const csiStorageCapacityPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('StorageClassName', 'string', 'Storage class the capacity applies to.'),
    col('Capacity', 'string', 'Reported available capacity.'),
  ],
  cells: (c) => [name(c), c?.storageClassName ?? '', c?.capacity ?? '<unset>'],
};

const volumeAttachmentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Attacher', 'string', 'Driver that attaches the volume.', 0, 'name'),
    col('PV', 'string', 'Persistent volume being attached.'),
    col('Node', 'string', 'Node the volume is attached to.'),
    col('Attached', 'boolean', 'Whether the attach operation succeeded.'),
    AGE_COLUMN,
  ],
  cells(va, now) {
    const spec = va?.spec ?? {};
    return [
      name(va),
      spec.attacher ?? '',
      spec.source?.persistentVolumeName ?? '',
      spec.nodeName ?? '',
      va?.status?.attached === true,
      age(va, now),
    ];
  },
};

// ---------------------------------------------------------------- admissionregistration.k8s.io

const webhookPrinter: Printer = {
  columns: [NAME_COLUMN, col('Webhooks', 'integer', 'Webhooks defined in the configuration.'), AGE_COLUMN],
  cells: (w, now) => [name(w), (w?.webhooks ?? []).length, age(w, now)],
};

const policyPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Validations', 'integer', 'Validation rules in the policy.'),
    col('ParamKind', 'string', 'Kind of the resource that parameterizes the policy.'),
    AGE_COLUMN,
  ],
  cells(p, now) {
    const pk = p?.spec?.paramKind;
    return [name(p), (p?.spec?.validations ?? []).length, pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>', age(p, now)];
  },
};

const policyBindingPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('PolicyName', 'string', 'Policy the binding applies.'),
    col('ParamRef', 'string', 'Parameter resource used by the binding.'),
    AGE_COLUMN,
  ],
  cells(b, now) {
    const pr = b?.spec?.paramRef;
    let param = '<unset>';
    if (pr) {
      if (pr.name) param = pr.namespace ? `${pr.namespace}/${pr.name}` : `*/${pr.name}`;
      else if (pr.selector) param = selectorString(pr.selector) ?? '<error>';
    }
    return [name(b), b?.spec?.policyName ?? '', param, age(b, now)];
  },
};

// ---------------------------------------------------------------- scheduling, node, discovery

const priorityClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Value', 'integer', 'Priority value given to pods of this class.'),
    col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt others.'),
  ],
  cells: (pc, now) => [name(pc), int(pc?.value), pc?.globalDefault === true, age(pc, now), pc?.preemptionPolicy || 'PreemptLowerPriority'],
};

const runtimeClassPrinter: Printer = {
  columns: [NAME_COLUMN, col('Handler', 'string', 'CRI handler that runs pods of this class.'), AGE_COLUMN],
  cells: (rc, now) => [name(rc), rc?.handler ?? '', age(rc, now)],
};

export function discoveryPorts(ports: any[] | undefined): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of ports ?? []) {
    if (list.length < max) {
      let text = '*';
      if (typeof p?.port === 'number') text = String(int(p.port));
      else if (typeof p?.name === 'string') text = p.name;
      list.push(text);
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, max);
}

export function discoveryEndpoints(endpoints: any[] | undefined): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const e of endpoints ?? []) {
    for (const a of e?.addresses ?? []) {
      if (list.length < max) list.push(a);
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, max);
}

const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('AddressType', 'string', 'IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 'Ports exposed by the endpoints.'),
    col('Endpoints', 'string', 'Addresses in the slice.'),
    AGE_COLUMN,
  ],
  cells: (s, now) => [name(s), s?.addressType ?? '', discoveryPorts(s?.ports), discoveryEndpoints(s?.endpoints), age(s, now)],
};

/** Printers keyed by `group/resource`. */
export const clusterPrinters: Record<string, Printer> = {
  'networking.k8s.io/ingresses': ingressPrinter,
  'networking.k8s.io/ingressclasses': ingressClassPrinter,
  'networking.k8s.io/networkpolicies': networkPolicyPrinter,
  'policy/poddisruptionbudgets': pdbPrinter,
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter('role binding'),
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter('cluster role binding'),
  'certificates.k8s.io/certificatesigningrequests': csrPrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  'storage.k8s.io/csidrivers': csiDriverPrinter,
  'storage.k8s.io/csinodes': csiNodePrinter,
  'storage.k8s.io/csistoragecapacities': csiStorageCapacityPrinter,
  'storage.k8s.io/volumeattachments': volumeAttachmentPrinter,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhookPrinter,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': webhookPrinter,
  'admissionregistration.k8s.io/validatingadmissionpolicies': policyPrinter,
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': policyBindingPrinter,
  'scheduling.k8s.io/priorityclasses': priorityClassPrinter,
  'node.k8s.io/runtimeclasses': runtimeClassPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
};
