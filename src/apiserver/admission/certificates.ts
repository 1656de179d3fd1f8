// The certificates admission plugins (upstream plugin/pkg/admission/certificates):
// CertificateApproval (adding Approved/Denied through /approval needs `approve`
// on the CSR's signer), CertificateSigning (setting status.certificate through
// /status needs `sign` on it) and CertificateSubjectRestriction (no
// kube-apiserver-client certificate for the system:masters group). A signer
// is authorized by its name or by `<domain>/*`.

import type { Authorizer } from '../../auth/rbac.js';
import { parsedRequestOf } from '../../api/validation/certificates.js';
import { KUBE_APISERVER_CLIENT } from '../../api/certificates/signers.js';
import { forbidden } from '../errors.js';
import type { AdmissionAttributes } from '../rest.js';

const GROUP = 'certificates.k8s.io';

export function isCSRWrite(a: AdmissionAttributes): boolean {
  return a.info.group === GROUP && a.info.resource === 'certificatesigningrequests';
}

/** Whether `user` may `verb` the signer `signerName` (by name or by its domain wildcard). */
export function authorizedForSigner(authorizer: Authorizer, user: { name: string; groups: string[] }, verb: string, signerName: string): boolean {
  const attrs = (name: string) => ({ resourceRequest: true as const, verb, group: GROUP, version: '*', resource: 'signers', subresource: '', namespace: '', name });
  if (authorizer.authorize(user, attrs(signerName)).allowed) return true;
  const domain = signerName.split('/')[0];
  return authorizer.authorize(user, attrs(`${domain}/*`)).allowed;
}

export function admitCSR(authorizer: Authorizer, a: AdmissionAttributes): void {
  if (!isCSRWrite(a)) return;
  const name = a.obj?.metadata?.name ?? '';
  const signerName: string = a.obj?.spec?.signerName ?? '';
  if (a.operation === 'CREATE' && !a.subresource && signerName === KUBE_APISERVER_CLIENT) {
    const req = parsedRequestOf(a.obj);
    if (req?.organizations.includes('system:masters')) {
      throw forbidden(GROUP, 'certificatesigningrequests', name, `use of ${KUBE_APISERVER_CLIENT} signer with system:masters group is not allowed`);
    }
  }
  // The API server's own writes (no user) are trusted.
  if (!a.user || a.operation !== 'UPDATE') return;
  if (a.subresource === 'approval') {
    if (!authorizedForSigner(authorizer, a.user, 'approve', signerName)) {
      throw forbidden(GROUP, 'certificatesigningrequests', name, `user not permitted to approve requests with signerName ${JSON.stringify(signerName)}`);
    }
  }
  if (a.subresource === 'status' && (a.obj?.status?.certificate ?? '') !== (a.old?.status?.certificate ?? '')) {
    if (!authorizedForSigner(authorizer, a.user, 'sign', signerName)) {
      throw forbidden(GROUP, 'certificatesigningrequests', name, `user not permitted to sign requests with signerName ${JSON.stringify(signerName)}`);
    }
  }
}
