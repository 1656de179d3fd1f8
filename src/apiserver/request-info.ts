// Turns a request path and method into what it asks for: the kind of
// endpoint, and for resource requests the verb, group, version, namespace,
// resource, name and subresource (as upstream's RequestInfoFactory does).

export interface ResourceRequest {
  type: 'resource';
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  group: string;
  version: string;
  namespace: string; // '' for cluster scope or all namespaces
  resource: string;
  name: string;
  subresource: string;
  /** The path had /namespaces/{ns}/ in it (even for the namespaces resource itself). */
  namespacedPath: boolean;
}

export type RequestInfo =
  | ResourceRequest
  | { type: 'discovery'; path: 'api' | 'apis' | 'group' | 'groupVersion' | 'coreVersion'; group: string; version: string }
  | { type: 'other'; path: string };

/** Query booleans as upstream converts them: present and not "0"/"false" means true. */
function isTrue(v: string | null): boolean {
  if (v === null) return false;
  const l = v.toLowerCase();
  return l !== '0' && l !== 'false';
}

export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'api' && parts[0] !== 'apis') return { type: 'other', path: pathname };

  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'discovery', path: 'api', group: '', version: '' };
    version = parts[1];
    if (parts.length === 2) return { type: 'discovery', path: 'coreVersion', group: '', version };
    rest = parts.slice(2);
  } else {
    if (parts.length === 1) return { type: 'discovery', path: 'apis', group: '', version: '' };
    group = parts[1];
    if (parts.length === 2) return { type: 'discovery', path: 'group', group, version: '' };
    version = parts[2];
    if (parts.length === 3) return { type: 'discovery', path: 'groupVersion', group, version };
    rest = parts.slice(3);
  }
  rest = rest.map((p) => decodeURIComponent(p));

  // Legacy /watch/ prefix.
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }

  let namespace = '';
  let namespacedPath = false;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    namespacedPath = true;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 2) {
    // /namespaces/{name}[/status|/finalize]: the namespaces resource itself.
    namespace = rest[1];
    namespacedPath = true;
  }

  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  // Only the part after the name is the subresource; anything beyond (pods/x/proxy/<path>) is its argument.
  const subresource = rest[2] ?? '';

  let verb: ResourceRequest['verb'];
  // The legacy /watch/ paths serve only GET; as upstream, the verb stays
  // watch for any method (a DELETE there is refused, never a delete).
  if (watchPath) method = "WATCH";
  switch (method) {
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      // ?watch only turns a collection GET into a watch; a named GET stays a get.
      if (watchPath || (!name && isTrue(query.get('watch')))) verb = 'watch';
      else verb = name ? 'get' : 'list';
  }
  return { type: 'resource', verb, group, version, namespace, resource, name, subresource, namespacedPath };
}
