// The error every patch function throws. `code` is the HTTP status the API
// server should answer with and `reason` the matching metav1.Status reason, so
// the server can turn a PatchError into a Status without guessing.

export type PatchErrorReason = 'BadRequest' | 'Invalid' | 'UnsupportedMediaType' | 'RequestEntityTooLarge';

const REASONS: Record<number, PatchErrorReason> = {
  400: 'BadRequest',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
};

export class PatchError extends Error {
  /** HTTP status code: 400 (malformed patch), 413, 415 (patch type not supported for the kind), 422 (patch does not apply). */
  readonly code: number;
  /** metav1.Status reason for `code`. */
  readonly reason: PatchErrorReason;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
    this.reason = REASONS[code] ?? 'Invalid';
  }
}

/** A malformed patch document (upstream answers 400 Bad Request). */
export function badRequest(message: string): PatchError {
  return new PatchError(400, message);
}

/** A well-formed patch that cannot be applied to this object (422 Unprocessable Entity). */
export function unprocessable(message: string): PatchError {
  return new PatchError(422, message);
}
