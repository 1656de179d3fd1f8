// Pod Security levels from namespace labels, evaluation of a pod against a
// level, and the pod template of workload objects. Every version ("latest",
// "v1.x") is evaluated with the latest checks; the version is only shown.

import { invalid, type FieldError } from '../validation/errors.js';
import { BASELINE_CHECKS, RESTRICTED_CHECKS, type CheckFailure } from './checks.js';

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface LevelVersion {
  level: Level;
  version: string;
}

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

const PREFIX = 'pod-security.kubernetes.io/';
const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];
const rank = (l: Level): number => LEVELS.indexOf(l);

export const levelVersionString = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;

function parseLevel(v: string | undefined): Level | undefined {
  return LEVELS.includes(v as Level) ? (v as Level) : undefined;
}

function parseVersion(v: string | undefined): string | undefined {
  if (v === 'latest') return v;
  const m = /^v1\.(0|[1-9][0-9]*)$/.exec(v ?? '');
  return m ? `v1.${m[1]}` : undefined;
}

/**
 * Upstream's namespace label checks: an invalid level or version label is
 * refused on namespace writes (it would otherwise silently mean restricted
 * or latest). Returns field errors for `metadata.labels[...]`.
 */
export function namespaceLabelErrors(labels: Record<string, string> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const mode of ['enforce', 'audit', 'warn']) {
    const level = labels?.[`pod-security.kubernetes.io/${mode}`];
    if (level !== undefined && !parseLevel(level)) errs.push(invalid(`metadata.labels[pod-security.kubernetes.io/${mode}]`, level, 'must be one of privileged, baseline, restricted'));
    const version = labels?.[`pod-security.kubernetes.io/${mode}-version`];
    if (version !== undefined && !parseVersion(version)) errs.push(invalid(`metadata.labels[pod-security.kubernetes.io/${mode}-version]`, version, 'must be "latest" or "v1.x"'));
  }
  return errs;
}

/**
 * The namespace's policy, as upstream: no label means privileged:latest;
 * an invalid enforce level means restricted, an invalid warn or audit level
 * privileged (fail open), an invalid version latest; without a warn label the
 * warn level is raised to the enforce level.
 */
export function policyFromLabels(labels: Record<string, string> | undefined): NamespacePolicy {
  const l = labels ?? {};
  const mode = (name: 'enforce' | 'audit' | 'warn', invalid: Level): LevelVersion => {
    const lv = l[PREFIX + name];
    const vv = l[`${PREFIX}${name}-version`];
    return { level: lv === undefined ? 'privileged' : (parseLevel(lv) ?? invalid), version: vv === undefined ? 'latest' : (parseVersion(vv) ?? 'latest') };
  };
  const p = { enforce: mode('enforce', 'restricted'), audit: mode('audit', 'privileged'), warn: mode('warn', 'privileged') };
  const enforceValid = parseLevel(l[PREFIX + 'enforce']) !== undefined;
  if (l[PREFIX + 'warn'] === undefined && enforceValid && rank(p.enforce.level) > rank(p.warn.level)) {
    p.warn.level = p.enforce.level;
    if (l[PREFIX + 'warn-version'] === undefined) p.warn.version = p.enforce.version;
  }
  return p;
}

/** The failed checks of a pod (metadata and spec) at a level, in upstream's order. */
export function evaluatePod(level: Level, meta: any, spec: any): CheckFailure[] {
  if (level === 'privileged') return [];
  const checks = level === 'baseline' ? BASELINE_CHECKS : RESTRICTED_CHECKS;
  return checks.map((c) => c(meta, spec)).filter((f): f is CheckFailure => f !== undefined);
}

/** `reason (detail), reason (detail)`. */
export function failuresText(failures: CheckFailure[]): string {
  return failures.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ');
}

/** `reason, reason` (the per-pod lines of a namespace's enforce change). */
export function failureReasons(failures: CheckFailure[]): string {
  return failures.map((f) => f.reason).join(', ');
}

/** Resources whose objects carry a pod template, keyed `group/resource`. */
const TEMPLATE_PATHS: Record<string, (o: any) => any> = {
  'apps/deployments': (o) => o?.spec?.template,
  'apps/replicasets': (o) => o?.spec?.template,
  'apps/statefulsets': (o) => o?.spec?.template,
  'apps/daemonsets': (o) => o?.spec?.template,
  'batch/jobs': (o) => o?.spec?.template,
  'batch/cronjobs': (o) => o?.spec?.jobTemplate?.spec?.template,
  '/replicationcontrollers': (o) => o?.spec?.template,
  '/podtemplates': (o) => o?.template,
};

export function hasPodTemplate(group: string, resource: string): boolean {
  return `${group}/${resource}` in TEMPLATE_PATHS;
}

/** The pod template's metadata and spec, or undefined when the object has none. */
export function podTemplateOf(group: string, resource: string, obj: any): { meta: any; spec: any } | undefined {
  const t = TEMPLATE_PATHS[`${group}/${resource}`]?.(obj);
  return t ? { meta: t.metadata ?? {}, spec: t.spec ?? {} } : undefined;
}

/**
 * Whether a pod update is checked: upstream only looks again when container
 * images change or containers (or ephemeral containers) are added.
 */
export function isSignificantPodUpdate(pod: any, old: any): boolean {
  const s = pod?.spec ?? {};
  const o = old?.spec ?? {};
  for (const field of ['containers', 'initContainers']) {
    const a: any[] = s[field] ?? [];
    const b: any[] = o[field] ?? [];
    if (a.length !== b.length) return true;
    if (a.some((c, i) => c.image !== b[i].image)) return true;
  }
  const oldEphemeral = new Map<string, any>(((o.ephemeralContainers ?? []) as any[]).map((c) => [c.name, c]));
  return ((s.ephemeralContainers ?? []) as any[]).some((c) => !oldEphemeral.has(c.name) || oldEphemeral.get(c.name).image !== c.image);
}
