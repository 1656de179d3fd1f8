// The built-in signers' rules (upstream pkg/apis/certificates helpers and the
// csrsigning controller's recognizers): which requests each signer issues,
// with upstream's messages for the ones it refuses, and the key usages.

import type { ParsedCSR } from './csr.js';

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const LEGACY_UNKNOWN = 'kubernetes.io/legacy-unknown';

export const SIGNED_BY_KTS = [KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING];

/** Every usage value the API accepts (upstream's allValidUsages), sorted as Go's sets.List. */
export const ALL_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only',
  'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement',
  'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];

const sameSet = (a: string[], b: string[]) => new Set(a).size === new Set(b).size && b.every((x) => a.includes(x));
const goList = (l: string[]) => `[${[...l].sort().join(' ')}]`;

const KUBELET_CLIENT_USAGES = ['digital signature', 'key encipherment', 'client auth'];
const KUBELET_SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];

/** Why a request is not a kubelet client certificate request, or undefined if it is. */
export function kubeletClientProblem(req: ParsedCSR, usages: string[]): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (req.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!sameSet(usages, KUBELET_CLIENT_USAGES) && !sameSet(usages, ['digital signature', 'client auth'])) return `usages did not match ${goList(KUBELET_CLIENT_USAGES)}`;
  return undefined;
}

/** Why a request is not a kubelet serving certificate request, or undefined if it is. */
export function kubeletServingProblem(req: ParsedCSR, usages: string[]): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (!req.dnsNames.length && !req.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  if (!sameSet(usages, KUBELET_SERVING_USAGES) && !sameSet(usages, ['digital signature', 'server auth'])) return `usages did not match ${goList(KUBELET_SERVING_USAGES)}`;
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** kube-apiserver-client: any subject, client usages only. */
export function apiServerClientProblem(usages: string[]): string | undefined {
  const allowed = new Set(['digital signature', 'key encipherment', 'client auth']);
  const bad = usages.filter((u) => !allowed.has(u));
  if (bad.length) return `invalid usage for client certificate: ${bad[0]}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

/** Why `signerName` will not issue this request (a Failed condition), or undefined. */
export function signerProblem(signerName: string, req: ParsedCSR, usages: string[]): string | undefined {
  switch (signerName) {
    case KUBE_APISERVER_CLIENT:
      return apiServerClientProblem(usages);
    case KUBE_APISERVER_CLIENT_KUBELET:
      return kubeletClientProblem(req, usages);
    case KUBELET_SERVING:
      return kubeletServingProblem(req, usages);
    default:
      return `unsupported signer ${signerName}`;
  }
}

/** X.509 keyUsage bits and extendedKeyUsage OIDs for the requested usages. */
export function x509Usages(usages: string[]): { keyUsage: number; extKeyUsages: string[] } {
  const KU: Record<string, number> = {
    signing: 1, 'digital signature': 1, 'content commitment': 2, 'key encipherment': 4, 'data encipherment': 8,
    'key agreement': 16, 'cert sign': 32, 'crl sign': 64, 'encipher only': 128, 'decipher only': 256,
  };
  const EKU: Record<string, string> = {
    any: '2.5.29.37.0', 'server auth': '1.3.6.1.5.5.7.3.1', 'client auth': '1.3.6.1.5.5.7.3.2', 'code signing': '1.3.6.1.5.5.7.3.3',
    'email protection': '1.3.6.1.5.5.7.3.4', 's/mime': '1.3.6.1.5.5.7.3.4', 'ipsec end system': '1.3.6.1.5.5.7.3.5',
    'ipsec tunnel': '1.3.6.1.5.5.7.3.6', 'ipsec user': '1.3.6.1.5.5.7.3.7', timestamping: '1.3.6.1.5.5.7.3.8',
    'ocsp signing': '1.3.6.1.5.5.7.3.9', 'microsoft sgc': '1.3.6.1.4.1.311.10.3.3', 'netscape sgc': '2.16.840.1.113730.4.1',
  };
  let keyUsage = 0;
  const ext = new Set<string>();
  for (const u of usages) {
    keyUsage |= KU[u] ?? 0;
    if (EKU[u]) ext.add(EKU[u]);
  }
  return { keyUsage, extKeyUsages: [...ext] };
}
