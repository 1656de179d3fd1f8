import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTarget } from './http-server.js';

test('dot segments of the request path are kept as sent', () => {
  assert.equal(requestTarget('/api/v1/namespaces/ns/secrets/..?limit=1').pathname, '/api/v1/namespaces/ns/secrets/..');
  assert.equal(requestTarget('/api/v1/namespaces/ns/secrets/.').pathname, '/api/v1/namespaces/ns/secrets/.');
  assert.equal(requestTarget('/api/v1/namespaces/ns/secrets/%2e%2e').pathname, '/api/v1/namespaces/ns/secrets/%2e%2e');
  assert.equal(requestTarget('/api/v1/pods?limit=1&watch=true').query.get('limit'), '1');
  assert.equal(requestTarget(undefined).pathname, '/');
});
