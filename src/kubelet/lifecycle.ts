/**
 * Container lifecycle hooks: postStart runs right after a container starts
 * (the container counts as started only once it returned; a failure kills
 * the container, which then restarts by the pod's policy), preStop runs
 * before the container is stopped and its time comes out of the grace
 * period. Handlers: exec, httpGet, sleep.
 */
import type { ContainerRuntime } from '../runtime/types.js';
import { httpGetAction } from './probes.js';

export type HookKind = 'PostStart' | 'PreStop';

/**
 * Runs a hook handler; resolves with an error message when it failed, or
 * undefined. `timeoutSeconds` bounds exec and httpGet (0: no bound).
 */
export async function runHook(runtime: ContainerRuntime, container: any, containerId: string, podIP: string, handler: any, timeoutSeconds: number): Promise<string | undefined> {
  if (handler?.exec) {
    const cmd: string[] = handler.exec.command ?? [];
    try {
      const r = await runtime.execSync(containerId, cmd, timeoutSeconds);
      if (r.exitCode === 0) return undefined;
      const out = Buffer.concat([r.stdout, r.stderr]).toString();
      return `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${out}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (handler?.httpGet) {
    const r = await httpGetAction(container, podIP, handler.httpGet, (timeoutSeconds || 30) * 1000);
    return r.ok ? undefined : r.output;
  }
  if (handler?.sleep) {
    const ms = Math.max(0, Number(handler.sleep.seconds ?? 0)) * 1000;
    await new Promise((r) => setTimeout(r, timeoutSeconds ? Math.min(ms, timeoutSeconds * 1000) : ms));
    return undefined;
  }
  if (handler?.tcpSocket) return 'tcpSocket is not a valid lifecycle handler';
  return undefined;
}

/** The event message for a failed hook, as the kubelet words it. */
export function hookFailureMessage(kind: HookKind, handler: any, container: any, pod: any, error: string): string {
  const podRef = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
  const what = handler?.exec ? `Exec lifecycle hook ([${(handler.exec.command ?? []).join(' ')}])` : handler?.httpGet ? `HTTP lifecycle hook (${handler.httpGet.path ?? ''})` : 'Lifecycle hook';
  return `${what} for Container "${container.name}" in Pod "${podRef}" failed - error: ${error}`;
}
