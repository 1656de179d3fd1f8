// Each Pod Security check: a compliant pod passes, a violating pod fails with
// upstream's exact reason and detail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as c from './checks.js';

const spec = (extra: any = {}, container: any = {}): any => ({ containers: [{ name: 'c', image: 'nginx', ...container }], ...extra });
const sc = (securityContext: any): any => spec({}, { securityContext });
const fails = (check: c.Check, s: any, reason: string, detail: string, meta: any = {}): void =>
  assert.deepEqual(check(meta, s), { reason, detail });
const passes = (check: c.Check, s: any, meta: any = {}): void => assert.equal(check(meta, s), undefined);

test('appArmorProfile', () => {
  passes(c.appArmorProfile, sc({ appArmorProfile: { type: 'RuntimeDefault' } }), { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/x' } });
  fails(c.appArmorProfile, sc({ appArmorProfile: { type: 'Unconfined' } }), 'forbidden AppArmor profile', 'container "c" must not set AppArmor profile type to "Unconfined"');
  fails(
    c.appArmorProfile,
    spec({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }),
    'forbidden AppArmor profiles',
    'pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined""', // upstream quotes without escaping
    { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } },
  );
});

test('capabilities (baseline)', () => {
  passes(c.capabilitiesBaseline, sc({ capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE'] } }));
  fails(c.capabilitiesBaseline, sc({ capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN', 'CHOWN'] } }), 'non-default capabilities', 'container "c" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add');
});

test('host namespaces', () => {
  passes(c.hostNamespaces, spec({ hostNetwork: false }));
  fails(c.hostNamespaces, spec({ hostNetwork: true, hostIPC: true }), 'host namespaces', 'hostNetwork=true, hostIPC=true');
});

test('hostPath volumes', () => {
  passes(c.hostPathVolumes, spec({ volumes: [{ name: 'e', emptyDir: {} }] }));
  fails(c.hostPathVolumes, spec({ volumes: [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', hostPath: { path: '/x' } }] }), 'hostPath volumes', 'volumes "a", "b"');
});

test('host ports', () => {
  passes(c.hostPorts, spec({}, { ports: [{ containerPort: 80 }] }));
  fails(c.hostPorts, spec({}, { ports: [{ containerPort: 80, hostPort: 8080 }] }), 'hostPort', 'container "c" uses hostPort 8080');
  fails(
    c.hostPorts,
    { containers: [{ name: 'a', ports: [{ hostPort: 81 }] }, { name: 'b', ports: [{ hostPort: 80 }] }] },
    'hostPort',
    'containers "a", "b" use hostPorts 80, 81',
  );
});

test('privileged', () => {
  passes(c.privileged, sc({ privileged: false }));
  fails(c.privileged, sc({ privileged: true }), 'privileged', 'container "c" must not set securityContext.privileged=true');
});

test('procMount', () => {
  passes(c.procMount, sc({ procMount: 'Default' }));
  fails(c.procMount, sc({ procMount: 'Unmasked' }), 'procMount', 'container "c" must not set securityContext.procMount to "Unmasked"');
});

test('seLinuxOptions', () => {
  passes(c.seLinuxOptions, sc({ seLinuxOptions: { type: 'container_t', level: 's0:c1' } }));
  fails(
    c.seLinuxOptions,
    { securityContext: { seLinuxOptions: { type: 'spc_t' } }, containers: [{ name: 'c', securityContext: { seLinuxOptions: { user: 'u', role: 'r' } } }] },
    'seLinuxOptions',
    'pod and container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set',
  );
});

test('seccompProfile (baseline)', () => {
  passes(c.seccompProfileBaseline, spec());
  fails(c.seccompProfileBaseline, spec({ securityContext: { seccompProfile: { type: 'Unconfined' } } }), 'seccompProfile', 'pod must not set securityContext.seccompProfile.type to "Unconfined"');
});

test('sysctls', () => {
  passes(c.sysctls, spec({ securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '1' }] } }));
  fails(c.sysctls, spec({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'vm.swappiness', value: '1' }] } }), 'forbidden sysctls', 'kernel.msgmax, vm.swappiness');
});

test('hostProcess', () => {
  passes(c.windowsHostProcess, sc({ windowsOptions: { hostProcess: false } }));
  fails(
    c.windowsHostProcess,
    { securityContext: { windowsOptions: { hostProcess: true } }, containers: [{ name: 'c', securityContext: { windowsOptions: { hostProcess: true } } }] },
    'hostProcess',
    'pod and container "c" must not set securityContext.windowsOptions.hostProcess=true',
  );
});

test('allowPrivilegeEscalation', () => {
  passes(c.allowPrivilegeEscalation, sc({ allowPrivilegeEscalation: false }));
  passes(c.allowPrivilegeEscalation, spec({ os: { name: 'windows' } }));
  fails(
    c.allowPrivilegeEscalation,
    { initContainers: [{ name: 'i' }], containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: true } }] },
    'allowPrivilegeEscalation != false',
    'containers "i", "c" must set securityContext.allowPrivilegeEscalation=false',
  );
});

test('capabilities (restricted)', () => {
  passes(c.capabilitiesRestricted, sc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }));
  fails(c.capabilitiesRestricted, spec(), 'unrestricted capabilities', 'container "c" must set securityContext.capabilities.drop=["ALL"]');
  fails(
    c.capabilitiesRestricted,
    sc({ capabilities: { add: ['CHOWN'] } }),
    'unrestricted capabilities',
    'container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add',
  );
});

test('restricted volume types', () => {
  passes(c.restrictedVolumes, spec({ volumes: [{ name: 'a', configMap: { name: 'x' } }, { name: 'b', projected: { sources: [] } }, { name: 'p', persistentVolumeClaim: { claimName: 'x' } }] }));
  fails(c.restrictedVolumes, spec({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }), 'restricted volume types', 'volume "h" uses restricted volume type "hostPath"');
  fails(
    c.restrictedVolumes,
    spec({ volumes: [{ name: 'h', hostPath: { path: '/' } }, { name: 'n', nfs: { server: 's', path: '/' } }] }),
    'restricted volume types',
    'volumes "h", "n" use restricted volume types "hostPath", "nfs"',
  );
});

test('runAsNonRoot', () => {
  passes(c.runAsNonRoot, spec({ securityContext: { runAsNonRoot: true } }));
  passes(c.runAsNonRoot, sc({ runAsNonRoot: true }));
  fails(c.runAsNonRoot, spec(), 'runAsNonRoot != true', 'pod or container "c" must set securityContext.runAsNonRoot=true');
  fails(c.runAsNonRoot, spec({ securityContext: { runAsNonRoot: false } }), 'runAsNonRoot != true', 'pod must not set securityContext.runAsNonRoot=false');
});

test('runAsUser', () => {
  passes(c.runAsUser, sc({ runAsUser: 1000 }));
  fails(c.runAsUser, { securityContext: { runAsUser: 0 }, containers: [{ name: 'c', securityContext: { runAsUser: 0 } }] }, 'runAsUser=0', 'pod and container "c" must not set runAsUser=0');
});

test('seccompProfile (restricted)', () => {
  passes(c.seccompProfileRestricted, spec({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }));
  passes(c.seccompProfileRestricted, sc({ seccompProfile: { type: 'Localhost', localhostProfile: 'p' } }));
  fails(c.seccompProfileRestricted, spec(), 'seccompProfile', 'pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"');
  fails(c.seccompProfileRestricted, sc({ seccompProfile: { type: 'Unconfined' } }), 'seccompProfile', 'container "c" must not set securityContext.seccompProfile.type to "Unconfined"');
});
