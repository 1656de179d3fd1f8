// Bad input (issue 8): a seeded stream of random and mutated requests
// against a real `kts server`, over HTTP/1.1 and HTTP/2 with the admin
// certificate. Every answer must be a well-formed HTTP response, every error
// a v1 Status whose code is the HTTP status, and nothing may be a 5xx. After
// the run the server still serves and the store is consistent: what a write
// returned is readable at that resourceVersion or a newer one, deleted
// objects are gone, every served resource lists and watches cleanly.
//
// Reproduce a run with KTS_FUZZ_SEED=<seed>; KTS_FUZZ_REQUESTS sets its length.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http2 from 'node:http2';
import { readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { startKts, eventually, type KtsProcess } from './harness.js';

const SEEDS = process.env.KTS_FUZZ_SEED ? process.env.KTS_FUZZ_SEED.split(',').map(Number) : [1, 2, 3, 4];
const REQUESTS = Number(process.env.KTS_FUZZ_REQUESTS ?? 150);
const NS = 'fuzz';
const REQUEST_TIMEOUT_MS = 20_000;

let kts: KtsProcess;
let creds: { ca: string; cert: string; key: string };
let h2: http2.ClientHttp2Session;
let agent: https.Agent;

// ---- seeded randomness -------------------------------------------------

/** mulberry32: small, fast, good enough to pick requests reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

// ---- transport -----------------------------------------------------------

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  proto: 'h1' | 'h2';
  what: string;
}
interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    const done = (v: Res | Error) => {
      clearTimeout(timer);
      v instanceof Error ? reject(v) : resolve(v);
    };
    if (r.proto === 'h2') {
      // Node ends a GET, HEAD or DELETE stream at once unless told it carries a body.
      const stream = h2.request({ ':method': r.method, ':path': r.path, ...r.headers }, { endStream: !r.body });
      const chunks: Buffer[] = [];
      let status = 0;
      let headers: Res['headers'] = {};
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = h as Res['headers'];
      });
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => done({ status, headers, body: Buffer.concat(chunks) }));
      stream.on('error', (e) => done(e));
      stream.end(r.body);
    } else {
      // Options, not a URL string: Node would resolve `.` and `..` segments before sending.
      const req = https.request(
        // Node's client sends no Content-Length for a GET, DELETE or OPTIONS
        // body by itself, which would leave the body to be read as the next request.
        { hostname: '127.0.0.1', port: kts.port, path: r.path, method: r.method, ca: creds.ca, cert: creds.cert, key: creds.key, headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) }, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (e) => done(e));
        },
      );
      req.on('error', (e) => done(e));
      req.end(r.body);
    }
  });
}

async function getJSON(path: string): Promise<any> {
  const r = await send({ method: 'GET', path, headers: { accept: 'application/json' }, proto: 'h2', what: path });
  assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
  return JSON.parse(r.body.toString('utf8'));
}

// ---- what the server serves ---------------------------------------------

interface Served {
  base: string; // /api/v1 or /apis/<group>/<version>
  groupVersion: string;
  name: string; // plural, or plural/subresource
  kind: string;
  namespaced: boolean;
  verbs: string[];
}
let served: Served[] = [];

async function discover(): Promise<Served[]> {
  const out: Served[] = [];
  const gvs = ['v1'];
  const groups = await getJSON('/apis');
  for (const g of groups.groups) for (const v of g.versions) gvs.push(v.groupVersion);
  for (const gv of gvs) {
    const base = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
    const list = await getJSON(base);
    for (const r of list.resources) out.push({ base, groupVersion: gv, name: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] });
  }
  return out;
}

// ---- objects to mutate ---------------------------------------------------

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.fuzz.example.com' },
  spec: {
    group: 'fuzz.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer', minimum: 0, maximum: 100 },
                  color: { type: 'string', enum: ['red', 'blue'] },
                  replicas: { type: 'integer' },
                  tags: { type: 'array', items: { type: 'string' } },
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

interface Kind {
  base: string;
  plural: string;
  sample: (name: string) => any;
}
const KINDS: Kind[] = [
  { base: '/api/v1', plural: 'configmaps', sample: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'fuzz' } }, data: { a: 'b', c: 'd' } }) },
  { base: '/api/v1', plural: 'secrets', sample: (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', stringData: { user: 'u' }, data: { pw: 'cHc=' } }) },
  {
    base: '/apis/apps/v1',
    plural: 'deployments',
    sample: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }] }] } },
      },
    }),
  },
  {
    base: '/api/v1',
    plural: 'services',
    sample: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } }),
  },
  {
    base: '/api/v1',
    plural: 'pods',
    sample: (name) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, annotations: { note: 'x' } },
      spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'], env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: '10m' } } }] },
    }),
  },
  {
    base: '/apis/fuzz.example.com/v1',
    plural: 'gadgets',
    sample: (name) => ({ apiVersion: 'fuzz.example.com/v1', kind: 'Gadget', metadata: { name }, spec: { size: 3, color: 'red', replicas: 1, tags: ['a'] } }),
  },
];

const NAMES = ['a', 'b', 'c', 'fz-1', 'fz-2'];

// ---- mutations -----------------------------------------------------------

const WEIRD_STRINGS = [
  '',
  '..',
  '.',
  'UPPER',
  'ünïcødé',
  '日本語',
  '💥',
  'a'.repeat(300),
  'has space',
  'semi;colon',
  '%2e%2e',
  'nul\u0000byte',
  '-leading',
  'trailing-',
  'x'.repeat(64),
];
const WEIRD_VALUES: unknown[] = [null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, '', 'x', [], {}, [1, 'a'], { a: { b: 1 } }, 'Ω'.repeat(50)];

function paths(v: any, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === 'object') {
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      const p = [...prefix, k];
      out.push(p);
      paths(v[k], p, out);
    }
  }
  return out;
}

function setAt(obj: any, p: (string | number)[], f: (parent: any, key: string | number) => void) {
  let o = obj;
  for (const k of p.slice(0, -1)) o = o[k];
  f(o, p[p.length - 1]);
}

/** A structural mutation of an object: a dropped field, a wrong type, a huge or odd value. */
function mutateObject(rng: Rng, obj: any): any {
  const o = structuredClone(obj);
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const ps = paths(o);
    if (!ps.length) break;
    const p = rng.pick(ps);
    const op = rng.int(6);
    setAt(o, p, (parent, key) => {
      if (op === 0) {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      } else if (op === 1) parent[key] = rng.pick(WEIRD_VALUES);
      else if (op === 2) parent[key] = rng.pick(WEIRD_STRINGS);
      else if (op === 3) parent[key] = 'h'.repeat(100_000 + rng.int(300_000));
      else if (op === 4) parent[key] = rng.pick([-1, -2147483649, 2147483648, 0.5, 1e21, 9007199254740993]);
      else {
        let deep: any = 'bottom';
        for (let d = 0; d < 60; d++) deep = { d: deep };
        parent[key] = deep;
      }
    });
  }
  return o;
}

/** A textual mutation of a JSON body: things a parser must refuse or survive. */
function mutateText(rng: Rng, text: string): Buffer {
  switch (rng.int(9)) {
    case 0:
      return Buffer.from(text.slice(0, rng.int(text.length)));
    case 1: {
      // duplicate keys
      const i = text.indexOf('"metadata"');
      return Buffer.from(i < 0 ? text : `${text.slice(0, i)}"metadata":{"name":"dup"},${text.slice(i)}`);
    }
    case 2: {
      const b = Buffer.from(text);
      const at = text.lastIndexOf('"', text.length - 3);
      return Buffer.concat([b.subarray(0, at > 0 ? at : 1), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), b.subarray(at > 0 ? at : 1)]);
    }
    case 3: {
      const b = Buffer.from(text);
      const at = rng.int(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]);
    }
    case 4:
      return Buffer.from('['.repeat(5000 + rng.int(50_000)) + ']'.repeat(rng.int(10)));
    case 5:
      return Buffer.from(text.replace(/\d+/, '1e400'));
    case 6:
      return Buffer.from(text.replace(/:/, ': NaN, "x":'));
    case 7: {
      const b = Buffer.from(text);
      for (let i = 0; i < 5; i++) b[rng.int(b.length)] = rng.int(256);
      return b;
    }
    default:
      return Buffer.from(text + rng.pick(['}', ']', ',', ' garbage', '\n{}']));
  }
}

// ---- requests ------------------------------------------------------------

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ODD_METHODS = ['HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT_', 'FOO'];
const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
  'application/x-garbage',
  'application/json; charset=latin1',
  ';;;',
];
const QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=1',
  'limit=99999999999999999999',
  'continue=garbage',
  'continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiXHUwMDAwIn0',
  'limit=1&continue=abc',
  'resourceVersion=abc',
  'resourceVersion=99999999999999999999999',
  'resourceVersion=18446744073709551616',
  'resourceVersion=-1',
  'resourceVersion=0',
  'resourceVersionMatch=NotOlderThan',
  'resourceVersionMatch=Exact',
  'resourceVersionMatch=bogus&resourceVersion=1',
  'resourceVersion=1&resourceVersionMatch=Exact',
  'fieldSelector=metadata.name%3D%3D%3D',
  'fieldSelector=spec.bogus%3Dx',
  'fieldSelector=metadata.name%20in%20(a)',
  'labelSelector=a%20in%20(',
  'labelSelector=%21%21%21',
  'labelSelector=a%3D%3D%3Db',
  'labelSelector=' + 'k'.repeat(500) + '%3Dv',
  'dryRun=bogus',
  'dryRun=All',
  'fieldValidation=bogus',
  'fieldValidation=Strict',
  'propagationPolicy=bogus',
  'propagationPolicy=Orphan',
  'gracePeriodSeconds=-5',
  'gracePeriodSeconds=abc',
  'fieldManager=' + 'm'.repeat(200),
  'force=maybe',
  'timeoutSeconds=abc',
  'pretty=banana',
  'allowWatchBookmarks=yes',
  'sendInitialEvents=true',
  '%zz=%zz',
  'a=%00',
];

interface Fired {
  req: Req;
  res?: Res;
  err?: Error;
}

function randomName(rng: Rng): string {
  return rng.chance(0.8) ? rng.pick(NAMES) : encodeURIComponent(rng.pick(WEIRD_STRINGS)) || 'x';
}

function mutatePath(rng: Rng, path: string): string {
  const segs = path.split('/');
  const i = 1 + rng.int(segs.length - 1);
  switch (rng.int(8)) {
    case 0:
      segs[i] = '..';
      break;
    case 1:
      segs[i] = encodeURIComponent(rng.pick(WEIRD_STRINGS));
      break;
    case 2:
      segs[i] = 'v' + rng.int(1000) + rng.pick(['', 'beta1', 'alpha9']);
      break;
    case 3:
      segs.push(rng.pick(['status', 'scale', 'bogus', 'eviction', 'log', 'exec', 'proxy', 'binding', 'ephemeralcontainers', 'finalize']));
      break;
    case 4:
      segs.splice(i, 1);
      break;
    case 5:
      segs.splice(i, 0, rng.pick(['namespaces', 'x', '', 'watch']));
      break;
    case 6:
      return rng.pick(['/', '/apis/', '/api', '/foo', '/healthz/bogus', '/openapi/v3/bogus', '/openapi/v2', '/version/x', '//api//v1//', '/api/v1/namespaces/' + NS + '/%2e%2e/%2e%2e/x', '/apis/%', '/\u00e9']);
    default:
      segs[i] = segs[i].toUpperCase();
  }
  return segs.join('/');
}

function resourcePath(s: Served, name?: string): string {
  const [plural, sub] = s.name.split('/');
  let p = s.base + (s.namespaced ? `/namespaces/${NS}` : '') + `/${plural}`;
  if (name !== undefined || sub) p += `/${name ?? randomNameFor(sub)}`;
  if (sub) p += `/${sub}`;
  return p;
}
let randomNameFor = (_sub: string) => 'a';

// Writes to these would take the run's own ground away (its namespace, its CRD,
// every write by a failing webhook): they are left out of the random stream.
function forbidden(r: Req): boolean {
  if (r.method === 'GET' || r.method === 'HEAD') return false;
  const p = r.path.split('?')[0];
  return /\/namespaces\/?$|\/namespaces\/(fuzz|default|kube-[a-z-]+)\/?$|customresourcedefinitions|webhookconfigurations|validatingadmissionpolic|apiservices|\/nodes\b|clusterrole|rolebinding|\/roles\b|resourcequotas|limitranges/.test(p);
}

function bodyFor(rng: Rng, kind: Kind, name: string, contentType: string): Buffer {
  let obj = kind.sample(name);
  if (contentType.includes('json-patch')) {
    const ops = [
      { op: 'replace', path: '/metadata/labels', value: { x: 'y' } },
      { op: 'add', path: '/metadata/annotations/n', value: 'v' },
      { op: rng.pick(['remove', 'test', 'move', 'copy', 'bogus']), path: rng.pick(['/spec', '/metadata/name', '/data/a', '/x/y/z', '', '/metadata/labels/~2']), from: '/metadata', value: rng.pick(WEIRD_VALUES) },
    ];
    const value = rng.chance(0.7) ? ops.slice(0, 1 + rng.int(3)) : rng.pick(WEIRD_VALUES);
    return rng.chance(0.7) ? Buffer.from(JSON.stringify(value)) : mutateText(rng, JSON.stringify(value));
  }
  if (contentType.includes('merge-patch')) obj = { metadata: { labels: { patched: String(rng.int(100)) } }, ...(rng.chance(0.5) ? { spec: obj.spec, data: obj.data } : {}) };
  if (rng.chance(0.6)) obj = mutateObject(rng, obj);
  if (contentType.includes('yaml')) {
    const text = YAML.stringify(obj);
    return rng.chance(0.2) ? Buffer.from(text.slice(0, rng.int(text.length)) + rng.pick(['', ':', '- [', '&a *b', '!!binary zz'])) : Buffer.from(text);
  }
  if (contentType.includes('protobuf')) {
    const b = Buffer.alloc(rng.int(200));
    for (let i = 0; i < b.length; i++) b[i] = rng.int(256);
    return rng.chance(0.5) ? Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), b]) : b;
  }
  const text = JSON.stringify(obj);
  return rng.chance(0.5) ? mutateText(rng, text) : Buffer.from(text);
}

function generate(rng: Rng, n: number): Req {
  const proto = rng.chance(0.5) ? 'h1' : 'h2';
  const kind = rng.pick(KINDS);
  const name = randomName(rng);
  let method = rng.chance(0.05) ? rng.pick(ODD_METHODS) : rng.pick(METHODS);
  const roll = rng.int(10);
  let path: string;
  if (roll < 5) {
    // one of the sample kinds: its collection or an object
    const coll = `${kind.base}/namespaces/${NS}/${kind.plural}`;
    path = method === 'POST' ? coll : `${coll}/${name}`;
    if (rng.chance(0.1)) path += '/' + rng.pick(['status', 'scale', 'bogus']);
    if (method === 'GET' && rng.chance(0.3)) path = coll;
  } else if (roll < 8) {
    const s = rng.pick(served);
    path = resourcePath(s, rng.chance(0.5) ? name : undefined);
    if (!s.name.includes('/') && rng.chance(0.5)) path = path.replace(/\/[^/]*$/, '');
  } else {
    path = `${kind.base}/namespaces/${NS}/${kind.plural}/${name}`;
  }
  if (rng.chance(0.3)) path = mutatePath(rng, path);
  const query: string[] = [];
  const nq = rng.chance(0.5) ? rng.int(3) + 1 : 0;
  for (let i = 0; i < nq; i++) query.push(rng.pick(QUERIES));
  if (rng.chance(0.08)) {
    method = 'GET';
    query.push('watch=true', 'timeoutSeconds=1');
  }
  if (method === 'PATCH' && rng.chance(0.5)) query.push(rng.chance(0.8) ? 'fieldManager=fuzz' : 'fieldManager=');
  const headers: Record<string, string> = { accept: rng.chance(0.9) ? 'application/json' : rng.pick(['application/yaml', 'text/garbage', '*/*', 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json']) };
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    let ct: string;
    if (method === 'PATCH') ct = rng.chance(0.85) ? rng.pick(CONTENT_TYPES.slice(2, 6)) : rng.pick(CONTENT_TYPES);
    else ct = rng.chance(0.8) ? rng.pick(['application/json', 'application/json', 'application/yaml']) : rng.pick(CONTENT_TYPES);
    headers['content-type'] = ct;
    if (method === 'DELETE') body = rng.chance(0.3) ? Buffer.from(JSON.stringify(mutateObject(rng, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: 'x' } }))) : undefined;
    else if (rng.chance(0.015)) body = Buffer.from(JSON.stringify({ ...kind.sample(name), data: { big: 'B'.repeat(4 * 1024 * 1024 + rng.int(1000)) } }));
    else body = bodyFor(rng, kind, name, ct);
  }
  const full = query.length ? `${path}?${query.join('&')}` : path;
  return { method, path: full, headers, body, proto, what: `#${n} ${proto} ${method} ${full.slice(0, 300)} [${headers['content-type'] ?? '-'}] body=${body ? body.length : 0}B${body && body.length <= 512 ? ` ${JSON.stringify(body.toString('latin1'))}` : ''}` };
}

// ---- what the store should hold ------------------------------------------

/** The last thing a successful request said about an object: its resourceVersion, or that it is gone. */
type Expect = { rv: string; terminating: boolean } | 'deleted';
const expected = new Map<string, Expect>();

function objectKey(o: any): string | undefined {
  if (!o || typeof o !== 'object' || !o.metadata?.name || !o.kind || !o.apiVersion) return undefined;
  const s = served.find((x) => x.groupVersion === o.apiVersion && x.kind === o.kind && !x.name.includes('/'));
  if (!s) return undefined;
  return s.base + (s.namespaced ? `/namespaces/${o.metadata.namespace}` : '') + `/${s.name}/${encodeURIComponent(o.metadata.name)}`;
}

function forget(path: string) {
  const p = path.replace(/\/$/, '');
  for (const k of [...expected.keys()]) if (k === p || k.startsWith(p + '/') || p.startsWith(k + '/')) expected.delete(k);
}

function record(f: Fired) {
  const { req, res } = f;
  if (!res || res.status < 200 || res.status >= 300 || req.method === 'GET' || /dryRun=All/.test(req.path)) return;
  if (process.env.KTS_FUZZ_DEBUG) console.error(`${req.what} -> ${res.status} ${res.body.toString('utf8').slice(0, 150)}`);
  const path = req.path.split('?')[0];
  let body: any;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (req.method === 'DELETE') {
    // A collection delete, or a delete by a path a client would not write:
    // forget what was known below it.
    forget(path);
    const key = objectKey(body);
    if (key && body.kind !== 'Status') expected.set(key, body.metadata.deletionTimestamp && body.metadata.finalizers?.length ? { rv: body.metadata.resourceVersion, terminating: true } : 'deleted');
    return;
  }
  if (/\/(eviction|binding)$/.test(path)) {
    forget(path);
    return;
  }
  const key = objectKey(body);
  if (key && body.metadata.resourceVersion) expected.set(key, { rv: body.metadata.resourceVersion, terminating: !!body.metadata.deletionTimestamp });
}

// ---- checks ----------------------------------------------------------------

function checkResponse(seed: number, f: Fired): string | undefined {
  const { req, res, err } = f;
  const where = `seed ${seed} ${req.what}`;
  if (err) return `${where}: ${err.message}`;
  if (!res) return `${where}: no response`;
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 599) return `${where}: malformed status ${res.status}`;
  const text = res.body.toString('utf8');
  // Upstream too answers 504 Timeout when a resourceVersion the store has not reached does not arrive.
  const rvTooLarge = res.status === 504 && /"reason":"ResourceVersionTooLarge"/.test(text);
  if (res.status >= 500 && !rvTooLarge) return `${where}: ${res.status} ${text.slice(0, 500)}`;
  if (res.status >= 400 && req.method !== 'HEAD') {
    const ct = String(res.headers['content-type'] ?? '');
    let s: any;
    try {
      s = ct.includes('yaml') ? YAML.parse(text) : JSON.parse(text);
    } catch {
      return `${where}: ${res.status} with a body that is not a Status (${ct}): ${text.slice(0, 200)}`;
    }
    if (s?.kind !== 'Status' || s.apiVersion !== 'v1' || s.status !== 'Failure' || s.code !== res.status || typeof s.reason !== 'string' || !s.reason || typeof s.message !== 'string' || !s.message)
      return `${where}: ${res.status} with a malformed Status: ${text.slice(0, 300)}`;
  }
  return undefined;
}

async function fuzz(seed: number) {
  const rng = prng(seed);
  randomNameFor = () => randomName(rng);
  const problems: string[] = [];
  const watches: Promise<void>[] = [];
  let answered = 0;
  for (let n = 0; n < REQUESTS; n++) {
    const req = generate(rng, n);
    if (forbidden(req)) continue;
    const fired: Fired = { req };
    const p = send(req).then(
      (res) => (fired.res = res),
      (err) => (fired.err = err),
    );
    const finish = p.then(() => {
      answered++;
      const problem = checkResponse(seed, fired);
      if (problem) {
        problems.push(problem);
        if (process.env.KTS_FUZZ_DEBUG && req.body) writeFileSync(`/tmp/fz/body-${seed}-${n}`, req.body);
        // Whatever it did is unknown: forget what was known of its target.
        forget(req.path.split('?')[0]);
      } else record(fired);
    });
    // Watches end after their timeoutSeconds; the stream goes on meanwhile.
    if (/watch=true/.test(req.path)) watches.push(finish);
    else await finish;
  }
  await Promise.all(watches);
  assert.deepEqual(problems, [], `seed ${seed}: ${problems.length} bad answers of ${answered}:\n${problems.join('\n')}`);
}

async function checkStore(seed: number) {
  const bad: string[] = [];
  for (const [key, exp] of expected) {
    const r = await send({ method: 'GET', path: key, headers: { accept: 'application/json' }, proto: 'h2', what: key });
    if (exp === 'deleted') {
      if (r.status !== 404) bad.push(`${key}: deleted, but GET answers ${r.status} ${r.body.toString().slice(0, 200)}`);
      continue;
    }
    if (r.status === 404 && exp.terminating) continue;
    if (r.status !== 200) {
      bad.push(`${key}: written at ${exp.rv}, but GET answers ${r.status} ${r.body.toString().slice(0, 200)}`);
      continue;
    }
    const rv = JSON.parse(r.body.toString('utf8')).metadata.resourceVersion;
    if (BigInt(rv) < BigInt(exp.rv)) bad.push(`${key}: written at ${exp.rv}, read back at older ${rv}`);
  }
  assert.deepEqual(bad, [], `seed ${seed}: store inconsistent after the run:\n${bad.join('\n')}`);

  // Every served resource lists, its items decode and have names, and a
  // watch from the list's resourceVersion starts without an error event.
  const lists = served.filter((s) => !s.name.includes('/') && s.verbs.includes('list') && s.verbs.includes('watch'));
  const results = await Promise.all(
    lists.map(async (s) => {
      const path = `${s.base}/${s.name}`;
      const r = await send({ method: 'GET', path, headers: { accept: 'application/json' }, proto: 'h2', what: path });
      if (r.status !== 200) return `${path}: list answers ${r.status} ${r.body.toString().slice(0, 300)}`;
      let list: any;
      try {
        list = JSON.parse(r.body.toString('utf8'));
      } catch (e) {
        return `${path}: list does not decode: ${e}`;
      }
      if (!Array.isArray(list.items)) return `${path}: list has no items`;
      for (const it of list.items) if (!it?.metadata?.name) return `${path}: an item without a name: ${JSON.stringify(it).slice(0, 200)}`;
      const w = await send({ method: 'GET', path: `${path}?watch=true&timeoutSeconds=1&resourceVersion=${list.metadata.resourceVersion}`, headers: { accept: 'application/json' }, proto: 'h2', what: path });
      if (w.status !== 200) return `${path}: watch from ${list.metadata.resourceVersion} answers ${w.status} ${w.body.toString().slice(0, 300)}`;
      for (const line of w.body.toString('utf8').split('\n').filter(Boolean)) {
        const ev = JSON.parse(line);
        if (ev.type === 'ERROR') return `${path}: watch from ${list.metadata.resourceVersion} sends ${line.slice(0, 300)}`;
      }
      return undefined;
    }),
  );
  const failed = results.filter((x): x is string => !!x);
  assert.deepEqual(failed, [], `seed ${seed}: lists or watches fail after the run:\n${failed.join('\n')}`);
  assert.ok(lists.length > 30, `seed ${seed}: only ${lists.length} listable resources`);
}

// ---- the run ---------------------------------------------------------------

before(async () => {
  kts = await startKts({});
  const kc = YAML.parse(readFileSync(kts.kubeconfig, 'utf8'));
  const b = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  creds = {
    ca: b(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b(kc.users[0].user['client-certificate-data']),
    key: b(kc.users[0].user['client-key-data']),
  };
  agent = new https.Agent({ keepAlive: process.env.KTS_FUZZ_NOKEEPALIVE ? false : true, maxSockets: 8 });
  h2 = http2.connect(kts.url, { ca: creds.ca, cert: creds.cert, key: creds.key });
  h2.on('error', () => {});
  await kts.k(['create', 'namespace', NS]);
  await kts.k(['apply', '-f', '-'], JSON.stringify(CRD));
  await kts.k(['wait', '--for=condition=Established', 'crd/gadgets.fuzz.example.com']);
  await eventually('gadgets to be served', async () => ((await kts.kubectl(['get', 'gadgets', '-n', NS])).code === 0 ? true : undefined));
  served = await discover();
});

after(async () => {
  h2?.close();
  agent?.destroy();
  await kts?.stop();
});

for (const seed of SEEDS) {
  test(`seed ${seed}: random and mutated requests get well-formed answers, never a 5xx`, { timeout: 120_000 }, async () => {
    await fuzz(seed);
  });

  test(`seed ${seed}: afterwards the server serves and the store is consistent`, { timeout: 60_000 }, async () => {
    const r = await send({ method: 'GET', path: '/readyz', headers: {}, proto: 'h1', what: '/readyz' });
    assert.equal(r.status, 200, `seed ${seed}: /readyz answers ${r.status} ${r.body}`);
    assert.equal(r.body.toString(), 'ok', `seed ${seed}`);
    assert.equal(kts.proc.exitCode, null, `seed ${seed}: kts exited:\n${kts.stderr().slice(-2000)}`);
    await checkStore(seed);
    // kubectl still works against it.
    assert.equal((await kts.k(['get', 'namespace', NS, '-o', 'name'])).trim(), `namespace/${NS}`, `seed ${seed}`);
  });
}
