/**
 * exec, attach and port-forward on the kubelet side: accepts the client's
 * stream protocol (WebSocket or SPDY, as relayed by the API server), asks the
 * runtime for a streaming URL (CRI Exec/Attach/PortForward) and joins the two.
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
    throw new KubeletHttpError(400, `${kind} is not wired yet`);
  }
}
