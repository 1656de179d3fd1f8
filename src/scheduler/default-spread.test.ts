// System default spreading: the selector taken from a pod's Services and
// controller (upstream's DefaultSelector), and the scores of the default
// constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorFromSet } from '../api/labels.js';
import { defaultSpreadSelector, type SpreadOwnerListers } from './default-spread.js';
import { SchedulerCache } from './node-info.js';
import { PodInfo } from './pod-info.js';
import { podTopologySpreadNormalize, podTopologySpreadPreScore, podTopologySpreadScore } from './plugins/pod-topology-spread.js';
import { makeNode, makePod } from './test-helpers.js';

function listers(objs: { services?: any[]; rcs?: any[]; rss?: any[]; sss?: any[] }): SpreadOwnerListers {
  const find = (list: any[] | undefined) => (ns: string, name: string) => (list ?? []).find((o) => o.metadata.namespace === ns && o.metadata.name === name);
  return {
    services: (ns) => (objs.services ?? []).filter((s) => s.metadata.namespace === ns),
    replicationController: find(objs.rcs),
    replicaSet: find(objs.rss),
    statefulSet: find(objs.sss),
  };
}
const svc = (name: string, selector: any, namespace = 'default') => ({ metadata: { name, namespace }, spec: { selector } });
const owned = (labels: Record<string, string>, apiVersion: string, kind: string, name: string, controller = true) => {
  const p = makePod('p', { labels });
  p.metadata.ownerReferences = [{ apiVersion, kind, name, uid: 'u', controller }];
  return p;
};
const str = (sel: any) => (sel === undefined ? undefined : sel.toString());

test('default selector: Services selecting the pod, merged; Services not selecting it, without a selector or elsewhere do not count', () => {
  const pod = makePod('p', { labels: { app: 'web', tier: 'fe', v: '1' } });
  const l = listers({
    services: [svc('a', { app: 'web' }), svc('b', { tier: 'fe' }), svc('c', { app: 'db' }), svc('d', undefined), svc('e', { v: '1' }, 'other')],
  });
  assert.equal(str(defaultSpreadSelector(pod, l)), 'app=web,tier=fe');
  assert.equal(defaultSpreadSelector(makePod('q', { labels: { app: 'db2' } }), l), undefined);
  assert.equal(defaultSpreadSelector(makePod('r'), listers({})), undefined);
});

test('default selector: a ReplicaSet or StatefulSet controller adds its selector’s requirements; a ReplicationController merges its label set', () => {
  const labels = { app: 'web', 'pod-template-hash': 'abc' };
  const rs = { metadata: { name: 'web-abc', namespace: 'default' }, spec: { selector: { matchLabels: { 'pod-template-hash': 'abc' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'www'] }] } } };
  const services = [svc('web', { app: 'web' })];
  assert.equal(str(defaultSpreadSelector(owned(labels, 'apps/v1', 'ReplicaSet', 'web-abc'), listers({ services, rss: [rs] }))), 'app=web,app in (web,www),pod-template-hash=abc');
  const ss = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } } };
  assert.equal(str(defaultSpreadSelector(owned({ app: 'db' }, 'apps/v1', 'StatefulSet', 'db'), listers({ sss: [ss] }))), 'app=db');
  const rc = { metadata: { name: 'old', namespace: 'default' }, spec: { selector: { app: 'old', track: 'x' } } };
  assert.equal(str(defaultSpreadSelector(owned({ app: 'old', track: 'x' }, 'v1', 'ReplicationController', 'old'), listers({ rcs: [rc] }))), 'app=old,track=x');
  // Not the controller, another API group, an unknown kind, or a controller that is gone: the Services alone.
  const only = listers({ services, rss: [rs] });
  assert.equal(str(defaultSpreadSelector(owned(labels, 'apps/v1', 'ReplicaSet', 'web-abc', false), only)), 'app=web');
  assert.equal(str(defaultSpreadSelector(owned(labels, 'extensions/v1beta1', 'ReplicaSet', 'web-abc'), only)), 'app=web');
  assert.equal(str(defaultSpreadSelector(owned(labels, 'batch/v1', 'Job', 'j'), only)), 'app=web');
  assert.equal(str(defaultSpreadSelector(owned(labels, 'apps/v1', 'ReplicaSet', 'gone'), only)), 'app=web');
  assert.equal(defaultSpreadSelector(owned(labels, 'apps/v1', 'ReplicaSet', 'gone'), listers({})), undefined);
});

test('default constraints score: hostname (maxSkew 3) and zone (maxSkew 5) counts, zone-less nodes still spread by hostname', () => {
  const nodes = [
    makeNode('n1', { labels: { 'topology.kubernetes.io/zone': 'z0' } }),
    makeNode('n2', { labels: { 'topology.kubernetes.io/zone': 'z0' } }),
    makeNode('n3', { labels: { 'topology.kubernetes.io/zone': 'z1' } }),
    makeNode('n4'),
  ];
  const web = selectorFromSet({ app: 'web' });
  const cache = new SchedulerCache(undefined, (pi) => (pi.labels.app === 'web' ? web : undefined));
  for (const n of nodes) cache.setNode(n);
  cache.setPod(makePod('w1', { labels: { app: 'web' }, nodeName: 'n1' }));
  cache.setPod(makePod('w2', { labels: { app: 'web' }, nodeName: 'n1' }));
  cache.setPod(makePod('other', { labels: { app: 'db' }, nodeName: 'n3' }));
  cache.setPod(makePod('elsewhere', { namespace: 'x', labels: { app: 'web' }, nodeName: 'n3' }));
  const score = (feasible: string[]) => {
    const f = feasible.map((n) => cache.nodeInfo(n)!);
    const s = podTopologySpreadPreScore(new PodInfo(makePod('new', { labels: { app: 'web' } })), f, cache)!;
    const raw = f.map((n) => podTopologySpreadScore(s, n));
    const norm = [...raw];
    podTopologySpreadNormalize(s, f, norm);
    return { raw, norm };
  };
  // Weights ln(3+2) for hostname, ln(2+2) for 2 zones: n1 2*1.609+2 + 2*1.386+4 = 12, n2 2+6.77 = 9, n3 2+4 = 6.
  assert.deepEqual(score(['n1', 'n2', 'n3']), { raw: [12, 9, 6], norm: [50, 75, 100] });
  // n4 has no zone: not ignored (system defaults), only its hostname counts, and "" is a zone domain for the weight.
  assert.deepEqual(score(['n1', 'n2', 'n3', 'n4']), { raw: [13, 9, 6, 2], norm: [15, 46, 69, 100] });
  // No Service or controller: no default constraints, the plugin is skipped.
  assert.equal(podTopologySpreadPreScore(new PodInfo(makePod('db', { labels: { app: 'db' } })), [cache.nodeInfo('n1')!], cache), undefined);
  // Constraints of its own (even only DoNotSchedule ones) replace the defaults.
  const own = makePod('own', { labels: { app: 'web' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] });
  assert.equal(podTopologySpreadPreScore(new PodInfo(own), [cache.nodeInfo('n1')!], cache), undefined);
});
