// Every failure the API server returns is a metav1.Status with upstream's
// code, reason and message, so kubectl prints what it prints against
// Kubernetes. ApiError carries one through the handler chain.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'ApiError';
  }
  get code(): number {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return new ApiError(s);
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}

/** `pods` for core, `deployments.apps` otherwise: how upstream names a resource in messages. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

function details(group: string, resource: string, name: string): StatusDetails {
  const d: StatusDetails = { name };
  if (group) d.group = group;
  d.kind = resource;
  return d;
}

export function notFound(group: string, resource: string, name: string): ApiError {
  return failure(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, details(group, resource, name));
}

export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, details(group, resource, name));
}

export function conflict(group: string, resource: string, name: string, why: string): ApiError {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`,
    details(group, resource, name),
  );
}

export const MODIFIED_CONFLICT = 'the object has been modified; please apply your changes to the latest version and try again';

export function invalid(group: string, kind: string, name: string, message: string, causes: StatusCause[]): ApiError {
  const d: StatusDetails = name ? { name } : {};
  if (group) d.group = group;
  d.kind = kind;
  d.causes = causes;
  return failure(422, 'Invalid', message, d);
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

export function forbidden(group: string, resource: string, name: string, why: string): ApiError {
  const what = name ? `${qualifiedResource(group, resource)} "${name}"` : qualifiedResource(group, resource);
  return failure(403, 'Forbidden', `${what} is forbidden: ${why}`, details(group, resource, name));
}

export function unauthorized(): ApiError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotSupported(): ApiError {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function resourceNotFound(): ApiError {
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}

export function gone(message: string): ApiError {
  return failure(410, 'Expired', message);
}

export function tooLarge(limit: number): ApiError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
}

export function notAcceptable(): ApiError {
  return failure(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
}

export function timeout(message: string, retryAfterSeconds = 1): ApiError {
  return failure(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds });
}

/** What client-go's reflector recognises (IsTooLargeResourceVersion) to fall back to a fresh list. */
export function tooLargeResourceVersion(rv: number, current: number): ApiError {
  const e = timeout(`Too large resource version: ${rv}, current: ${current}`);
  e.status.details = { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 };
  return e;
}

export function internalError(message: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}
