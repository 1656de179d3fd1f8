/**
 * A container's environment as the kubelet builds it: `envFrom` sources
 * first, then `env` entries in order (later wins), each value with `$(VAR)`
 * references expanded against what was defined before it; then command and
 * args expanded against the final environment. Pure: object lookups are
 * passed in.
 */

export interface EnvSources {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
  /** `metadata.name`, `status.podIP`, `spec.nodeName`, ... */
  field(path: string): string | undefined;
  /** limits.cpu, requests.memory, ... of the named container (default: this one). */
  resource(containerName: string | undefined, resource: string, divisor: string | undefined): string | undefined;
  /** Service link variables, set before everything else (the container's own entries win). */
  services?(): Array<{ key: string; value: string }>;
}

export class EnvError extends Error {}

/**
 * Expands `$(NAME)` with `vars`; `$$` escapes a `$`; references to unknown
 * names stay as written, as the kubelet leaves them.
 */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Builds the container's environment in order, as name/value pairs. */
export function buildEnv(container: any, sources: EnvSources): Array<{ key: string; value: string }> {
  const vars = new Map<string, string>();
  const set = (k: string, v: string) => {
    vars.delete(k);
    vars.set(k, v);
  };
  for (const e of sources.services?.() ?? []) set(e.key, e.value);
  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (from.configMapRef) {
      data = sources.configMap(from.configMapRef.name);
      if (!data && !from.configMapRef.optional) throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
    } else if (from.secretRef) {
      data = sources.secret(from.secretRef.name);
      if (!data && !from.secretRef.optional) throw new EnvError(`secret "${from.secretRef.name}" not found`);
    }
    for (const [k, v] of Object.entries(data ?? {})) set(prefix + k, v);
  }
  for (const e of container.env ?? []) {
    if (!e?.name) continue;
    if (e.valueFrom) {
      const v = resolveValueFrom(e.name, e.valueFrom, container, sources);
      if (v !== undefined) set(e.name, v);
    } else {
      set(e.name, expandVars(e.value ?? '', vars));
    }
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}

function resolveValueFrom(name: string, vf: any, container: any, sources: EnvSources): string | undefined {
  if (vf.configMapKeyRef) {
    const ref = vf.configMapKeyRef;
    const data = sources.configMap(ref.name);
    if (!data) {
      if (ref.optional) return undefined;
      throw new EnvError(`configmap "${ref.name}" not found`);
    }
    if (!(ref.key in data)) {
      if (ref.optional) return undefined;
      throw new EnvError(`couldn't find key ${ref.key} in ConfigMap ${ref.name}`);
    }
    return data[ref.key];
  }
  if (vf.secretKeyRef) {
    const ref = vf.secretKeyRef;
    const data = sources.secret(ref.name);
    if (!data) {
      if (ref.optional) return undefined;
      throw new EnvError(`secret "${ref.name}" not found`);
    }
    if (!(ref.key in data)) {
      if (ref.optional) return undefined;
      throw new EnvError(`couldn't find key ${ref.key} in Secret ${ref.name}`);
    }
    return data[ref.key];
  }
  if (vf.fieldRef) {
    const v = sources.field(vf.fieldRef.fieldPath);
    if (v === undefined) throw new EnvError(`unsupported fieldPath ${vf.fieldRef.fieldPath} for env ${name}`);
    return v;
  }
  if (vf.resourceFieldRef) {
    const r = vf.resourceFieldRef;
    const v = sources.resource(r.containerName || container.name, r.resource, r.divisor);
    if (v === undefined) throw new EnvError(`unsupported resource ${r.resource} for env ${name}`);
    return v;
  }
  return undefined;
}

/** Command and args with `$(VAR)` expanded against the container's environment. */
export function expandCommand(list: string[] | undefined, env: Array<{ key: string; value: string }>): string[] | undefined {
  if (!list) return undefined;
  const vars = new Map(env.map((e) => [e.key, e.value]));
  return list.map((s) => expandVars(s, vars));
}
