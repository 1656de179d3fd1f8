import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditContext, Auditor } from './audit.js';
import { parsePolicy } from '../audit/policy.js';
import { parseRequestInfo } from './request-info.js';
import type { ApiRequest, ApiResponse } from './api-server.js';

const policy = parsePolicy(`
rules:
  - level: None
    resources: [{group: "", resources: [events]}]
  - level: RequestResponse
    omitStages: [RequestReceived]
`);

function ctx(method: string, path: string, query = ''): AuditContext {
  const req: ApiRequest = { method, path, query: new URLSearchParams(query), headers: { contentType: 'application/json', userAgent: 'test' }, body: method === 'POST' ? Buffer.from('{"metadata":{"name":"x"}}') : undefined, user: { name: 'u', groups: ['g'] }, sourceIPs: ['10.0.0.1'] };
  const c = new AuditContext(req);
  c.user = req.user;
  c.info = parseRequestInfo(method, path, req.query);
  return c;
}

test('omitted stages, None, Panic and watch streams', () => {
  const out: any[] = [];
  const a = new Auditor(policy, { write: (e) => out.push(e) });
  const ok: ApiResponse = { status: 201, contentType: 'application/json', body: '{"kind":"ConfigMap"}' };

  a.responded(ctx('POST', '/api/v1/namespaces/d/configmaps'), ok, false);
  assert.deepEqual(out.map((e) => e.stage), ['ResponseComplete']);
  assert.deepEqual(out[0].objectRef, { resource: 'configmaps', namespace: 'd', name: 'x', apiVersion: 'v1' });
  assert.deepEqual(out[0].requestObject, { metadata: { name: 'x' } });
  assert.deepEqual(out[0].responseObject, { kind: 'ConfigMap' });

  out.length = 0;
  a.responded(ctx('GET', '/api/v1/namespaces/d/events'), ok, false);
  assert.equal(out.length, 0);

  a.responded(ctx('GET', '/api/v1/namespaces/d/pods/p'), { status: 500, contentType: 'application/json', body: '{"kind":"Status","status":"Failure","message":"boom","code":500}' }, true);
  assert.deepEqual(out.map((e) => [e.stage, e.responseStatus]), [['Panic', { metadata: {}, code: 500, status: 'Failure', message: 'boom' }]]);

  out.length = 0;
  const chunks: unknown[] = [];
  const res = a.responded(ctx('GET', '/api/v1/pods', 'watch=1'), { status: 200, contentType: 'application/json', stream: (o) => (o.write('a'), () => {}) }, false);
  assert.deepEqual(out.map((e) => [e.stage, e.verb]), [['ResponseStarted', 'watch']]);
  assert.ok('stream' in res);
  const stop = res.stream({ write: (c) => chunks.push(c), end: () => {} });
  stop();
  stop();
  assert.deepEqual(chunks, ['a']);
  assert.deepEqual(out.map((e) => e.stage), ['ResponseStarted', 'ResponseComplete']);
  assert.equal(out[1].responseObject, undefined);
});
