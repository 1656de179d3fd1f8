/**
 * exec, attach and port-forward on the kubelet side. The API server already
 * relays the upgrade here; bridging it to the runtime's streaming URL (CRI
 * Exec/Attach/PortForward) needs the WebSocket and SPDY protocol modules,
 * which are not built yet, so requests are refused with a clear error.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ContainerRuntime } from '../runtime/types.js';
import { KubeletHttpError } from './server.js';

export class StreamHandler {
  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly sandboxOf: (pod: any) => string | undefined,
    private readonly runningContainer: (pod: any, container: string) => Promise<string | undefined>,
  ) {}

  async handle(kind: 'exec' | 'attach' | 'portForward', pod: any, container: string, query: URLSearchParams, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    void this.runtime;
    void this.sandboxOf;
    void this.runningContainer;
    void query;
    void req;
    void socket;
    void head;
    void pod;
    void container;
    throw new KubeletHttpError(400, `${kind === 'portForward' ? 'port-forward' : kind} is not supported by this kts node agent yet`);
  }
}
