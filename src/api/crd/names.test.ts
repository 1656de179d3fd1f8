import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calculateNamesAndConditions, crdStatusForAccepted, isEstablished, resourceInfoForCRD, servedVersions, takenNamesForGroup } from './names.js';
import { defaultCRD, prepareCRDForCreate } from './validate-crd.js';

function crd(): any {
  const c: any = {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object' } },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        },
        { name: 'v1beta1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  };
  defaultCRD(c);
  prepareCRDForCreate(c);
  return c;
}

const NOW = new Date('2024-05-01T10:00:00Z');

test('resource info of a served version', () => {
  const info = resourceInfoForCRD(crd(), 'v1');
  assert.deepEqual(info, {
    group: 'example.com',
    version: 'v1',
    resource: 'widgets',
    singular: 'widget',
    kind: 'Widget',
    listKind: 'WidgetList',
    namespaced: true,
    shortNames: ['wd'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      { name: 'status', kind: 'Widget', verbs: ['get', 'patch', 'update'] },
    ],
    generation: true,
    nameRule: 'subdomain',
    allowCreateOnUpdate: false,
  });
  const beta = resourceInfoForCRD(crd(), 'v1beta1');
  assert.deepEqual(beta.subresources, []);
  assert.deepEqual(servedVersions(crd()), ['v1']);
});

test('cluster-scoped CRDs, and accepted names win over spec names', () => {
  const c = crd();
  c.spec.scope = 'Cluster';
  c.status.acceptedNames = { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' };
  c.spec.names.shortNames = ['new'];
  const info = resourceInfoForCRD(c, 'v1');
  assert.equal(info.namespaced, false);
  assert.deepEqual(info.shortNames, []);
});

test('names accepted: NamesAccepted NoConflicts, Established InitialNamesAccepted', () => {
  const status = crdStatusForAccepted(crd(), NOW);
  assert.deepEqual(status, {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    acceptedNames: { plural: 'widgets', singular: 'widget', shortNames: ['wd'], kind: 'Widget', listKind: 'WidgetList', categories: ['all'] },
    storedVersions: ['v1'],
  });
  assert.equal(isEstablished({ status }), true);
  assert.equal(isEstablished(crd()), false);
});

test('transition times stay put when nothing changes', () => {
  const c = crd();
  c.status = crdStatusForAccepted(c, NOW);
  const again = crdStatusForAccepted(c, new Date('2024-06-01T00:00:00Z'));
  assert.equal(again.conditions[0].lastTransitionTime, '2024-05-01T10:00:00Z');
  assert.equal(again.conditions[1].lastTransitionTime, '2024-05-01T10:00:00Z');
});

test('a plural taken by another CRD of the group is a conflict', () => {
  const other = { metadata: { name: 'widgets.other' }, spec: { group: 'example.com' }, status: { acceptedNames: { plural: 'widgets', singular: 'widget', kind: 'OtherWidget', listKind: 'OtherWidgetList' } } };
  const taken = takenNamesForGroup([other, crd()], 'example.com', 'widgets.example.com');
  const status = crdStatusForAccepted(crd(), NOW, taken);
  assert.deepEqual(status.conditions, [
    { type: 'NamesAccepted', status: 'False', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'SingularConflict', message: '"widget" is already in use' },
    { type: 'Established', status: 'False', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'NotAccepted', message: 'not all names are accepted' },
  ]);
  assert.deepEqual(status.acceptedNames, { plural: '', shortNames: ['wd'], kind: 'Widget', listKind: 'WidgetList', categories: ['all'] });
});

test('each kind of conflict has its reason', () => {
  const cases: Array<[{ resources: string[]; kinds: string[] }, string, string]> = [
    [{ resources: ['widgets'], kinds: [] }, 'PluralConflict', '"widgets" is already in use'],
    [{ resources: ['wd'], kinds: [] }, 'ShortNamesConflict', '"wd" is already in use'],
    [{ resources: [], kinds: ['Widget'] }, 'KindConflict', '"Widget" is already in use'],
    [{ resources: [], kinds: ['WidgetList'] }, 'ListKindConflict', '"WidgetList" is already in use'],
  ];
  for (const [taken, reason, message] of cases) {
    const r = calculateNamesAndConditions(crd(), taken);
    assert.equal(r.namesAccepted.status, 'False');
    assert.equal(r.namesAccepted.reason, reason);
    assert.equal(r.namesAccepted.message, message);
  }
  const c = crd();
  c.spec.names.shortNames = ['a', 'b'];
  const r = calculateNamesAndConditions(c, { resources: ['a', 'b'], kinds: [] });
  assert.equal(r.namesAccepted.message, '["a" is already in use, "b" is already in use]');
});

test('names already accepted for this CRD do not conflict with themselves', () => {
  const c = crd();
  c.status = crdStatusForAccepted(c, NOW);
  const taken = takenNamesForGroup([c], 'example.com');
  const r = calculateNamesAndConditions(c, taken);
  assert.equal(r.namesAccepted.reason, 'NoConflicts');
});

test('an established CRD that later conflicts stays established', () => {
  const c = crd();
  c.status = crdStatusForAccepted(c, NOW);
  c.spec.names.shortNames = ['taken'];
  const status = crdStatusForAccepted(c, new Date('2024-06-01T00:00:00Z'), { resources: ['taken'], kinds: [] });
  assert.equal(status.conditions[0].reason, 'ShortNamesConflict');
  assert.equal(status.conditions[1].status, 'True');
  assert.deepEqual(status.acceptedNames.shortNames, ['wd']);
});
