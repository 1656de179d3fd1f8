/**
 * exec, attach and port-forward on the kubelet side. The client's upgrade
 * (WebSocket or SPDY, relayed by the API server) is accepted here, the
 * runtime is asked for a streaming URL (CRI Exec, Attach, PortForward), and
 * the two are joined: input and terminal sizes one way, output and the exit
 * status the other; each forwarded connection gets its own stream to the
 * pod's network namespace.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ContainerRuntime } from '../runtime/types.js';
import { HandshakeError } from '../streaming/http-upgrade.js';
import { acceptPortForward, connectPortForward, type PortForwardClient, type PortForwardConnection } from '../streaming/portforward.js';
import { acceptRemoteCommand, connectRemoteCommand, proxyRemoteCommand, type RemoteCommandOptions } from '../streaming/remotecommand.js';
import { KubeletHttpError } from './server.js';

export class StreamHandler {
  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly sandboxOf: (pod: any) => string | undefined,
    private readonly runningContainer: (pod: any, container: string) => Promise<string | undefined>,
  ) {}

  async handle(kind: 'exec' | 'attach' | 'portForward', pod: any, container: string, query: URLSearchParams, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    if (kind === 'portForward') return this.portForward(pod, req, socket, head);
    return this.remoteCommand(kind, pod, container, query, req, socket, head);
  }

  private async remoteCommand(kind: 'exec' | 'attach', pod: any, container: string, query: URLSearchParams, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const opts = streamOptions(query);
    const cmd = query.getAll('command');
    if (kind === 'exec' && cmd.length === 0) throw new KubeletHttpError(400, 'you must specify at least 1 command');
    if (!opts.stdin && !opts.stdout && !opts.stderr) throw new KubeletHttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    const id = await this.runningContainer(pod, container);
    if (!id) throw new KubeletHttpError(404, `container not found (${JSON.stringify(container)})`);
    // Ask the runtime first, so that a failure is an HTTP error the client can print.
    const url = kind === 'exec' ? await this.runtime.exec({ containerId: id, cmd, ...opts }) : await this.runtime.attach({ containerId: id, ...opts });
    let session;
    try {
      session = await acceptRemoteCommand(req, socket, head, opts);
    } catch (e) {
      if (e instanceof HandshakeError) return; // the client was answered already
      socket.destroy();
      return;
    }
    let upstream;
    try {
      upstream = await connectRemoteCommand(url, opts);
    } catch (e) {
      await session.finish({ error: `error connecting to the container runtime: ${(e as Error).message}` });
      return;
    }
    await proxyRemoteCommand(session, upstream);
  }

  private async portForward(pod: any, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const sandbox = this.sandboxOf(pod);
    if (!sandbox) throw new KubeletHttpError(404, `pod ${pod.metadata.name} has no running sandbox`);
    // One runtime session per client session, opened with the first connection.
    let runtimeSession: Promise<PortForwardClient> | undefined;
    const openRuntime = () => {
      runtimeSession ??= this.runtime.portForward(sandbox, []).then((url) => connectPortForward(url));
      return runtimeSession;
    };
    let server;
    try {
      server = acceptPortForward(req, socket, head, {
        onConnection: (conn) => void this.forward(conn, openRuntime, sandbox, pod.metadata.uid),
      });
    } catch (e) {
      if (e instanceof HandshakeError) return;
      throw e;
    }
    await server.closed;
    if (runtimeSession) runtimeSession.then((c) => c.close(), () => undefined);
  }

  private async forward(conn: PortForwardConnection, openRuntime: () => Promise<PortForwardClient>, sandbox: string, uid: string): Promise<void> {
    let target: Duplex & { remoteError: Promise<string | undefined> };
    try {
      target = await (await openRuntime()).open(conn.port);
    } catch (e) {
      conn.reportError(`error forwarding port ${conn.port} to pod ${sandbox}, uid ${uid}: ${(e as Error).message}`);
      return;
    }
    target.on('error', () => undefined);
    conn.data.on('error', () => target.destroy());
    conn.data.pipe(target);
    target.pipe(conn.data, { end: false });
    // The runtime may close the connection before its error message arrives:
    // wait for its error stream, then either report the error or end the data.
    await new Promise<void>((r) => target.once('close', () => r()));
    let timer: number | NodeJS.Timeout | undefined;
    const message = await Promise.race([target.remoteError, new Promise<undefined>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer as NodeJS.Timeout);
    // The runtime's own message names the port, the sandbox and the cause.
    if (message) conn.reportError(message);
    else if (!conn.data.writableEnded) conn.data.end();
  }
}

/** The stdin/stdout/stderr/tty flags of an exec or attach request (client-go sends "true"/"1"). */
export function streamOptions(query: URLSearchParams): RemoteCommandOptions {
  const flag = (k: string) => {
    const v = query.get(k);
    return v === 'true' || v === '1' || v === 'True';
  };
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
}
