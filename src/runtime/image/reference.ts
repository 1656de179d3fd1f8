// Image references in the grammar Docker and containerd share:
//
//   [domain[:port]/]path[:tag][@algorithm:hex]
//
// A name without a domain is on Docker Hub ("docker.io"), and a one-part Hub
// name lives under "library/", so `busybox` means
// `docker.io/library/busybox:latest`. The first part is a domain when it
// contains "." or ":", is "localhost", or has upper-case letters (path parts
// may not). containerd and the CRI store images under the normalized form,
// which is what `normalizeImageReference` returns.

export interface ImageReference {
  domain: string;
  /** Repository path without the domain, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME_LENGTH = 255;

export const DEFAULT_DOMAIN = 'docker.io';

export function parseImageReference(ref: string): ImageReference {
  const invalid = (why: string): Error => new Error(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid('bad digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid('bad tag');
  }
  if (rest === '') throw invalid('empty name');

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN_RE.test(domain)) throw invalid('bad domain');
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  for (const part of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(part)) {
      throw invalid(part.toLowerCase() !== part ? 'repository name must be lowercase' : `bad path component ${JSON.stringify(part)}`);
    }
  }
  if (domain.length + 1 + path.length > MAX_NAME_LENGTH) throw invalid(`name longer than ${MAX_NAME_LENGTH} characters`);
  return { domain, path, tag, digest };
}

export function formatImageReference(r: ImageReference): string {
  return `${r.domain}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The full form containerd names images by: domain, path, and `:latest` when neither tag nor digest is given. */
export function normalizeImageReference(ref: string): string {
  const r = parseImageReference(ref);
  if (r.tag === undefined && r.digest === undefined) r.tag = 'latest';
  return formatImageReference(r);
}
