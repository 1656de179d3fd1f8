// Human-readable durations as kube-apiserver prints them in the AGE-like
// columns of a meta.k8s.io Table (apimachinery's HumanDuration semantics):
// roughly two to three significant figures, switching unit at fixed
// thresholds, tolerating a clock skew of up to one second in the past.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Whole units of `ms / unit`, truncated toward zero (Go integer division). */
function whole(ms: number, unit: number): number {
  return Math.trunc(ms / unit);
}

/**
 * Formats a duration given in milliseconds: `45s`, `5m10s`, `42m`, `3h`,
 * `5h3m`, `30h`, `2d5h`, `400d`, `3y20d`, `9y`. Negative durations of less
 * than two seconds print as `0s`, larger negative ones as `<invalid>`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;

  const minutes = whole(ms, MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;

  const hours = whole(ms, HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;

  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;

  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}
