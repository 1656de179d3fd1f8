import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1.js';
import { chainContents, generateRules, hashedChain, parseIptablesSave, renderCleanup, renderRestore, usableEndpoints, type NodeInfo } from './rules.js';

const NODE: NodeInfo = { nodeName: 'n1' };

function svc(name: string, spec: Partial<Service['spec']> & object, status?: Service['status']): Service {
  return {
    metadata: { namespace: 'default', name },
    spec: { type: 'ClusterIP', clusterIP: '10.43.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
    status,
  };
}

function ep(ip: string, opts: { ready?: boolean; serving?: boolean; terminating?: boolean; node?: string } = {}): Endpoint {
  return { addresses: [ip], nodeName: opts.node ?? 'n2', conditions: { ready: opts.ready, serving: opts.serving, terminating: opts.terminating } };
}

function slice(service: string, endpoints: Endpoint[], name = `${service}-x`): EndpointSlice {
  return {
    metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints,
  };
}

const SVC = hashedChain('KTS-SVC-', 'default/web:http', 'TCP');
const SVL = hashedChain('KTS-SVL-', 'default/web:http', 'TCP');
const EXT = hashedChain('KTS-EXT-', 'default/web:http', 'TCP');
const sep = (ip: string) => hashedChain('KTS-SEP-', 'default/web:http', 'TCP', `${ip}:8080`);

const chainRules = (rules: string[], chain: string) => rules.filter((r) => r.startsWith(`-A ${chain} `));

describe('chain names', () => {
  it('are deterministic, prefixed, 16 base32 characters, within iptables limits', () => {
    assert.equal(SVC, hashedChain('KTS-SVC-', 'default/web:http', 'TCP'));
    assert.match(SVC, /^KTS-SVC-[A-Z2-7]{16}$/);
    assert.notEqual(SVC, hashedChain('KTS-SVC-', 'default/web:http', 'UDP'));
    assert.ok(sep('10.42.0.1').length <= 28);
  });
});

describe('generateRules', () => {
  it('ClusterIP: dispatch, masquerade from outside the pod network, 1/n probabilities, DNAT', () => {
    const r = generateRules([svc('web', {})], [slice('web', [ep('10.42.0.3'), ep('10.42.0.1'), ep('10.42.0.2')])], NODE);
    assert.ok(r.rules.nat.includes(`-A KTS-SERVICES -m comment --comment "default/web:http cluster IP" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j ${SVC}`));
    assert.deepEqual(chainRules(r.rules.nat, SVC), [
      `-A ${SVC} -m comment --comment "default/web:http cluster IP" ! -s 10.42.0.0/16 -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j KTS-MARK-MASQ`,
      `-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.1:8080" -m statistic --mode random --probability 0.3333333333 -j ${sep('10.42.0.1')}`,
      `-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep('10.42.0.2')}`,
      `-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.3:8080" -j ${sep('10.42.0.3')}`,
    ]);
    assert.deepEqual(chainRules(r.rules.nat, sep('10.42.0.2')), [
      `-A ${sep('10.42.0.2')} -m comment --comment "default/web:http" -s 10.42.0.2/32 -j KTS-MARK-MASQ`,
      `-A ${sep('10.42.0.2')} -m comment --comment "default/web:http" -p tcp -m tcp -j DNAT --to-destination 10.42.0.2:8080`,
    ]);
    assert.ok(r.rules.nat.includes('-A KTS-MARK-MASQ -j MARK --or-mark 0x4000'));
    assert.ok(r.rules.nat.includes('-A KTS-POSTROUTING -m comment --comment "kts service traffic requiring SNAT" -j MASQUERADE --random-fully'));
    assert.equal(r.rules.filter.filter((l) => l.includes('REJECT')).length, 0);
  });

  it('a service without endpoints is rejected in filter and has no nat chain', () => {
    const r = generateRules([svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], externalIPs: ['192.0.2.7'] })], [], NODE);
    assert.ok(r.rules.filter.includes('-A KTS-SERVICES -m comment --comment "default/web:http has no endpoints" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable'));
    assert.ok(r.rules.filter.includes('-A KTS-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable'));
    assert.ok(r.rules.filter.includes('-A KTS-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -d 192.0.2.7/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable'));
    assert.ok(!r.chains.nat.includes(SVC));
    assert.equal(r.rules.nat.filter((l) => l.includes('default/web')).length, 0);
  });

  it('not-ready endpoints are skipped; serving-terminating ones are used only when none is ready', () => {
    const eps = [ep('10.42.0.1', { ready: false }), ep('10.42.0.2', { ready: false, serving: true, terminating: true }), ep('10.42.0.3')];
    let r = generateRules([svc('web', {})], [slice('web', eps)], NODE);
    assert.deepEqual(chainRules(r.rules.nat, SVC).slice(1), [`-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.3:8080" -j ${sep('10.42.0.3')}`]);
    r = generateRules([svc('web', {})], [slice('web', eps.slice(0, 2))], NODE);
    assert.deepEqual(chainRules(r.rules.nat, SVC).slice(1), [`-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.2:8080" -j ${sep('10.42.0.2')}`]);
    // Conditions left unset: ready.
    assert.equal(usableEndpoints([{ ip: '1.1.1.1', port: 1, ready: true, serving: true, terminating: false }]).length, 1);
  });

  it('NodePort with externalTrafficPolicy Cluster masquerades and goes to every endpoint', () => {
    const r = generateRules(
      [svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] })],
      [slice('web', [ep('10.42.0.1'), ep('10.42.0.2')])],
      NODE,
    );
    assert.ok(r.rules.nat.includes(`-A KTS-NODEPORTS -m comment --comment "default/web:http node port" -p tcp -m tcp --dport 30080 -j ${EXT}`));
    assert.ok(r.rules.nat.includes('-A KTS-SERVICES ! -d 127.0.0.0/8 -m comment --comment "kts service nodeports" -m addrtype --dst-type LOCAL -j KTS-NODEPORTS'));
    assert.deepEqual(chainRules(r.rules.nat, EXT), [
      `-A ${EXT} -m comment --comment "default/web:http masquerade traffic for external destinations" -j KTS-MARK-MASQ`,
      `-A ${EXT} -j ${SVC}`,
    ]);
    // NodePorts jump last in KTS-SERVICES.
    assert.match(chainRules(r.rules.nat, 'KTS-SERVICES').at(-1)!, /-j KTS-NODEPORTS$/);
  });

  it('externalTrafficPolicy Local: no SNAT for external clients, local endpoints only, pods and node short-circuit', () => {
    const spec = { type: 'NodePort' as const, externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] };
    const r = generateRules([svc('web', spec)], [slice('web', [ep('10.42.0.1', { node: 'n1' }), ep('10.42.1.1', { node: 'n2' })])], NODE);
    assert.deepEqual(chainRules(r.rules.nat, EXT), [
      `-A ${EXT} -m comment --comment "default/web:http pod traffic for external destinations" -s 10.42.0.0/16 -j ${SVC}`,
      `-A ${EXT} -m comment --comment "default/web:http masquerade LOCAL traffic for external destinations" -m addrtype --src-type LOCAL -j KTS-MARK-MASQ`,
      `-A ${EXT} -m comment --comment "default/web:http route LOCAL traffic for external destinations" -m addrtype --src-type LOCAL -j ${SVC}`,
      `-A ${EXT} -j ${SVL}`,
    ]);
    assert.deepEqual(chainRules(r.rules.nat, SVL), [`-A ${SVL} -m comment --comment "default/web:http -> 10.42.0.1:8080" -j ${sep('10.42.0.1')}`]);
    // The cluster IP still reaches both.
    assert.equal(chainRules(r.rules.nat, SVC).filter((l) => l.includes('KTS-SEP-')).length, 2);

    // No local endpoint: external traffic to the NodePort is dropped in filter; the EXT chain only short-circuits.
    const none = generateRules([svc('web', spec)], [slice('web', [ep('10.42.1.1', { node: 'n2' })])], NODE);
    assert.ok(none.rules.filter.includes('-A KTS-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j DROP'));
    assert.ok(!chainRules(none.rules.nat, EXT).some((l) => l.includes(SVL)));
    assert.ok(!none.chains.nat.includes(SVL));
  });

  it('internalTrafficPolicy Local: the cluster IP goes to local endpoints, or is dropped without one', () => {
    const r = generateRules([svc('web', { internalTrafficPolicy: 'Local' })], [slice('web', [ep('10.42.0.1', { node: 'n1' }), ep('10.42.1.1')])], NODE);
    assert.ok(r.rules.nat.includes(`-A KTS-SERVICES -m comment --comment "default/web:http cluster IP" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j ${SVL}`));
    assert.ok(!r.chains.nat.includes(SVC));
    assert.deepEqual(chainRules(r.rules.nat, SVL).slice(1), [`-A ${SVL} -m comment --comment "default/web:http -> 10.42.0.1:8080" -j ${sep('10.42.0.1')}`]);
    const none = generateRules([svc('web', { internalTrafficPolicy: 'Local' })], [slice('web', [ep('10.42.1.1')])], NODE);
    assert.ok(none.rules.filter.includes('-A KTS-SERVICES -m comment --comment "default/web:http has no local endpoints" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j DROP'));
  });

  it('sessionAffinity ClientIP: recent checks before the random choice, recent set on DNAT', () => {
    const spec = { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } };
    const r = generateRules([svc('web', spec)], [slice('web', [ep('10.42.0.1'), ep('10.42.0.2')])], NODE);
    const s1 = sep('10.42.0.1');
    assert.deepEqual(chainRules(r.rules.nat, SVC).slice(1, 3), [
      `-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.1:8080" -m recent --name ${s1} --rcheck --seconds 600 --reap -j ${s1}`,
      `-A ${SVC} -m comment --comment "default/web:http -> 10.42.0.2:8080" -m recent --name ${sep('10.42.0.2')} --rcheck --seconds 600 --reap -j ${sep('10.42.0.2')}`,
    ]);
    assert.ok(r.rules.nat.includes(`-A ${s1} -m comment --comment "default/web:http" -p tcp -m tcp -m recent --set --name ${s1} --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.42.0.1:8080`));
    // Default timeout: 3 hours.
    const d = generateRules([svc('web', { sessionAffinity: 'ClientIP' })], [slice('web', [ep('10.42.0.1')])], NODE);
    assert.ok(d.rules.nat.some((l) => l.includes('--rcheck --seconds 10800 --reap')));
  });

  it('LoadBalancer ingress IPs and externalIPs are served like external destinations', () => {
    const r = generateRules(
      [svc('web', { type: 'LoadBalancer', externalIPs: ['192.0.2.9'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2', ipMode: 'Proxy' }] } })],
      [slice('web', [ep('10.42.0.1')])],
      NODE,
    );
    assert.ok(r.rules.nat.includes(`-A KTS-SERVICES -m comment --comment "default/web:http external IP" -d 192.0.2.9/32 -p tcp -m tcp --dport 80 -j ${EXT}`));
    assert.ok(r.rules.nat.includes(`-A KTS-SERVICES -m comment --comment "default/web:http loadbalancer IP" -d 192.0.2.1/32 -p tcp -m tcp --dport 80 -j ${EXT}`));
    assert.ok(!r.rules.nat.some((l) => l.includes('192.0.2.2')));
    // Ingress of a Service that is not (any more) type LoadBalancer is ignored.
    const c = generateRules([svc('web', {}, { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } })], [slice('web', [ep('10.42.0.1')])], NODE);
    assert.ok(!c.rules.nat.some((l) => l.includes('192.0.2.1')));
  });

  it('skips headless and ExternalName services, slices of other services and other address types', () => {
    const r = generateRules(
      [svc('web', { clusterIP: 'None' }), svc('ext', { type: 'ExternalName', externalName: 'example.com', clusterIP: undefined })],
      [slice('web', [ep('10.42.0.1')]), { ...slice('web', [ep('fd00::1')]), addressType: 'IPv6' }],
      NODE,
    );
    assert.equal(r.rules.nat.filter((l) => l.includes('default/')).length, 0);
    assert.equal(r.rules.filter.filter((l) => l.includes('default/')).length, 0);
  });

  it('merges endpoints of several slices, dedupes, and is independent of input order', () => {
    const services = [svc('web', {}), svc('api', { clusterIP: '10.43.0.20' })];
    const slices = [slice('web', [ep('10.42.0.2'), ep('10.42.0.1')], 'a'), slice('web', [ep('10.42.0.3'), ep('10.42.0.1')], 'b'), slice('api', [ep('10.42.0.9')])];
    const a = renderRestore(generateRules(services, slices, NODE));
    const b = renderRestore(generateRules([...services].reverse(), [...slices].reverse(), NODE));
    assert.equal(a, b);
    assert.equal(a.split('\n').filter((l) => l.startsWith(`-A ${SVC} `) && l.includes('KTS-SEP-')).length, 3);
  });

  it('nodePortAddresses restrict NodePorts; localhostNodePorts adds 127/8 and its firewall rule', () => {
    const a = generateRules([], [], { nodeName: 'n1', nodePortAddresses: ['192.168.1.5'] });
    assert.ok(a.rules.nat.includes('-A KTS-SERVICES -d 192.168.1.5/32 -m comment --comment "kts service nodeports" -j KTS-NODEPORTS'));
    const b = generateRules([], [], { nodeName: 'n1', localhostNodePorts: true });
    assert.ok(b.rules.nat.includes('-A KTS-SERVICES -m comment --comment "kts service nodeports" -m addrtype --dst-type LOCAL -j KTS-NODEPORTS'));
    assert.ok(b.rules.filter.some((l) => l.startsWith('-A KTS-FIREWALL ') && l.includes('-d 127.0.0.0/8 ! -s 127.0.0.0/8')));
  });
});

describe('renderRestore and renderCleanup', () => {
  const SAVE = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KTS-SERVICES - [0:0]',
    ':KTS-SVC-OLDOLDOLDOLDOLDO - [0:0]',
    ':KTS-POD-MASQ - [0:0]',
    ':OTHER - [0:0]',
    '-A PREROUTING -m comment --comment "kts service portals" -j KTS-SERVICES',
    '-A PREROUTING -j OTHER',
    '-A OUTPUT -m comment --comment "kts service portals" -j KTS-SERVICES',
    '-A POSTROUTING -m comment --comment "kts postrouting rules" -j KTS-POSTROUTING',
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    '-A FORWARD -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');

  it('declares our chains, inserts only missing jumps, deletes stale KTS- chains, never touches others', () => {
    const out = renderRestore(generateRules([], [], NODE), { saved: parseIptablesSave(SAVE) });
    const lines = out.split('\n');
    assert.ok(!lines.some((l) => l.startsWith('-I PREROUTING') || l.startsWith('-I POSTROUTING') || l.startsWith('-I OUTPUT 1 -m comment --comment "kts service portals"')));
    assert.ok(lines.includes('-I FORWARD 1 -m comment --comment "kts forwarding rules" -j KTS-FORWARD'));
    assert.ok(lines.includes(':KTS-SVC-OLDOLDOLDOLDOLDO - [0:0]') && lines.includes('-X KTS-SVC-OLDOLDOLDOLDOLDO'));
    assert.ok(!lines.some((l) => l.includes('KTS-POD-MASQ')), 'the kubelet\'s pod masquerade chain is not the proxy\'s to delete');
    assert.ok(!lines.some((l) => l.includes('OTHER') || l.startsWith(':PREROUTING') || l.startsWith(':FORWARD') || l.startsWith('-D') || l.startsWith('-F')));
    assert.equal(lines.filter((l) => l === 'COMMIT').length, 2);
  });

  it('a partial sync writes only the chains that changed, no jumps, and deletes chains gone since', () => {
    const before = generateRules([svc('web', {})], [slice('web', [ep('10.42.0.1'), ep('10.42.0.2')])], NODE);
    const after = generateRules([svc('web', {})], [slice('web', [ep('10.42.0.1'), ep('10.42.0.3')])], NODE);
    const lines = renderRestore(after, { previous: chainContents(before) }).split('\n');
    assert.deepEqual(lines.filter((l) => l.startsWith(':')), [`:${SVC} - [0:0]`, `:${sep('10.42.0.3')} - [0:0]`, `:${sep('10.42.0.2')} - [0:0]`]);
    assert.ok(lines.includes(`-X ${sep('10.42.0.2')}`));
    assert.ok(!lines.some((l) => l.startsWith('-I ') || l.startsWith('*filter')));
    assert.equal(renderRestore(after, { previous: chainContents(after) }), '');
  });

  it('without a saved state inserts every jump', () => {
    const out = renderRestore(generateRules([], [], NODE));
    assert.equal(out.split('\n').filter((l) => l.startsWith('-I ')).length, 10);
  });

  it('cleanup (kts stop, kts killall) deletes every KTS- jump and chain, only those', () => {
    const out = renderCleanup(parseIptablesSave(SAVE));
    assert.equal(
      out,
      [
        '*nat',
        ':KTS-SERVICES - [0:0]',
        ':KTS-SVC-OLDOLDOLDOLDOLDO - [0:0]',
        ':KTS-POD-MASQ - [0:0]',
        '-D PREROUTING -m comment --comment "kts service portals" -j KTS-SERVICES',
        '-D OUTPUT -m comment --comment "kts service portals" -j KTS-SERVICES',
        '-D POSTROUTING -m comment --comment "kts postrouting rules" -j KTS-POSTROUTING',
        '-X KTS-SERVICES',
        '-X KTS-SVC-OLDOLDOLDOLDOLDO',
        '-X KTS-POD-MASQ',
        'COMMIT',
        '',
      ].join('\n'),
    );
    assert.equal(renderCleanup(parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n')), '');
  });
});
