/**
 * CRI v1 client: RuntimeService and ImageService over gRPC on a Unix socket.
 * Messages are encoded with protobufjs from the schema in `schema.ts`; calls
 * are plain unary requests through @grpc/grpc-js.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CRI_PROTO } from './schema.js';
import {
  RuntimeError,
  type Container, type ContainerConfig, type ContainerRuntime, type ContainerState, type ContainerStats,
  type ContainerStatus, type Image, type PodSandbox, type PodSandboxConfig, type PodSandboxStatus,
  type RuntimeCondition, type RuntimeVersion, type SandboxState,
} from '../types.js';

let rootCache: protobuf.Root | undefined;
function root(): protobuf.Root {
  rootCache ??= protobuf.parse(CRI_PROTO).root;
  return rootCache;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, bytes: Buffer, defaults: true, arrays: true, objects: true };

interface Method { path: string; serialize: (v: object) => Buffer; deserialize: (b: Buffer) => any }
const methods = new Map<string, Method>();

function method(service: 'RuntimeService' | 'ImageService', name: string): Method {
  const key = `${service}/${name}`;
  let m = methods.get(key);
  if (!m) {
    const svc = root().lookupService(`runtime.v1.${service}`);
    const rpc = svc.methods[name];
    if (!rpc) throw new Error(`unknown CRI method ${key}`);
    const req = root().lookupType(`runtime.v1.${rpc.requestType}`);
    const res = root().lookupType(`runtime.v1.${rpc.responseType}`);
    m = {
      path: `/runtime.v1.${service}/${name}`,
      serialize: (v) => Buffer.from(req.encode(req.fromObject(v)).finish()),
      deserialize: (b) => res.toObject(res.decode(b), TO_OBJECT),
    };
    methods.set(key, m);
  }
  return m;
}

/** Accepts `unix:///run/x.sock` or a bare path. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  return `unix://${endpoint}`;
}

export class CriClient implements ContainerRuntime {
  private readonly client: grpc.Client;

  constructor(readonly endpoint: string, private readonly timeoutMs = 120_000) {
    this.client = new grpc.Client(grpcTarget(endpoint), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 32 * 1024 * 1024,
    });
  }

  close(): void {
    this.client.close();
  }

  /** Waits until the socket accepts connections, or throws after `ms`. */
  async waitReady(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        await this.version();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private call<T>(service: 'RuntimeService' | 'ImageService', name: string, req: object, timeoutMs = this.timeoutMs): Promise<T> {
    const m = method(service, name);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(m.path, m.serialize, m.deserialize, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new RuntimeError(name, err.code ?? 2, err.details || err.message));
        else resolve(res as T);
      });
    });
  }

  private runtime<T>(name: string, req: object, timeoutMs?: number): Promise<T> {
    return this.call<T>('RuntimeService', name, req, timeoutMs);
  }

  async version(): Promise<RuntimeVersion> {
    return this.runtime('Version', { version: 'v1' }, 5_000);
  }

  async status(): Promise<RuntimeCondition[]> {
    const res = await this.runtime<{ status?: { conditions: RuntimeCondition[] } }>('Status', {}, 10_000);
    return res.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const res = await this.runtime<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler });
    return res.podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.runtime('StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.runtime('RemovePodSandbox', { podSandboxId: id });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.runtime<{ status: PodSandboxStatus }>('PodSandboxStatus', { podSandboxId: id });
    return res.status;
  }

  async listPodSandbox(filter?: { id?: string; state?: SandboxState; labelSelector?: Record<string, string> }): Promise<PodSandbox[]> {
    const f = filter ? { id: filter.id, labelSelector: filter.labelSelector, state: filter.state ? { state: filter.state } : undefined } : undefined;
    const res = await this.runtime<{ items: PodSandbox[] }>('ListPodSandbox', { filter: f });
    return res.items;
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.runtime<{ containerId: string }>('CreateContainer', { podSandboxId: sandboxId, config, sandboxConfig });
    return res.containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.runtime('StartContainer', { containerId: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.runtime('StopContainer', { containerId: id, timeout: timeoutSeconds }, (timeoutSeconds + 60) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.runtime('RemoveContainer', { containerId: id });
  }

  async listContainers(filter?: { id?: string; podSandboxId?: string; state?: ContainerState; labelSelector?: Record<string, string> }): Promise<Container[]> {
    const f = filter
      ? { id: filter.id, podSandboxId: filter.podSandboxId, labelSelector: filter.labelSelector, state: filter.state ? { state: filter.state } : undefined }
      : undefined;
    const res = await this.runtime<{ containers: Container[] }>('ListContainers', { filter: f });
    return res.containers;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.runtime<{ status: ContainerStatus }>('ContainerStatus', { containerId: id });
    return res.status;
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.runtime('ReopenContainerLog', { containerId: id });
  }

  async listContainerStats(filter?: { podSandboxId?: string }): Promise<ContainerStats[]> {
    const res = await this.runtime<{ stats: ContainerStats[] }>('ListContainerStats', { filter: filter ?? {} });
    return res.stats;
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const callTimeout = timeoutSeconds > 0 ? (timeoutSeconds + 10) * 1000 : this.timeoutMs;
    return this.runtime('ExecSync', { containerId: id, cmd, timeout: timeoutSeconds }, callTimeout);
  }

  async exec(req: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    const res = await this.runtime<{ url: string }>('Exec', req);
    return res.url;
  }

  async attach(req: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    const res = await this.runtime<{ url: string }>('Attach', req);
    return res.url;
  }

  async portForward(sandboxId: string, ports: number[]): Promise<string> {
    const res = await this.runtime<{ url: string }>('PortForward', { podSandboxId: sandboxId, port: ports });
    return res.url;
  }

  async listImages(): Promise<Image[]> {
    const res = await this.call<{ images: Image[] }>('ImageService', 'ListImages', {});
    return res.images;
  }

  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image: Image | null }>('ImageService', 'ImageStatus', { image: { image } });
    return res.image && res.image.id ? res.image : null;
  }

  async pullImage(image: string): Promise<string> {
    const res = await this.call<{ imageRef: string }>('ImageService', 'PullImage', { image: { image } }, 300_000);
    return res.imageRef;
  }

  async removeImage(image: string): Promise<void> {
    await this.call('ImageService', 'RemoveImage', { image: { image } });
  }
}
