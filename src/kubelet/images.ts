/**
 * Images on the node: makes sure a container's image is present before it
 * starts, per imagePullPolicy, with upstream's events and waiting reasons
 * (ErrImagePull, then ImagePullBackOff with exponential back-off); and the
 * pause image, built locally and imported on first use.
 */
import type { EventRecorder } from '../controllers/events.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { RuntimeError } from '../runtime/types.js';
import { normalizeImage } from '../sim/pod-status.js';

export class ImagePullError extends Error {
  constructor(readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName', message: string, readonly retryAfterMs: number) {
    super(message);
  }
}

export interface ImageManagerOptions {
  runtime: ContainerRuntime;
  recorder: EventRecorder;
  /** Builds and imports the pause image when the runtime lacks it. */
  providePauseImage: () => Promise<void>;
  pauseImage: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

interface PullBackoff {
  delayMs: number;
  until: number;
  lastError: string;
}

const UNREACHABLE_RETRY_MS = 5 * 60_000;

export class ImageManager {
  private pauseReady: Promise<void> | undefined;
  private readonly backoff = new Map<string, PullBackoff>();
  /** Present images whose registry could not be reached, until when to use the local copy without asking. */
  private readonly unreachable = new Map<string, number>();

  constructor(private readonly o: ImageManagerOptions) {}

  ensurePauseImage(): Promise<void> {
    this.pauseReady ??= (async () => {
      if (await this.o.runtime.imageStatus(this.o.pauseImage)) return;
      await this.o.providePauseImage();
    })().catch((e) => {
      this.pauseReady = undefined;
      throw e;
    });
    return this.pauseReady;
  }

  /** Returns the image reference to create the container from, or throws ImagePullError. */
  async ensureImage(pod: any, container: any): Promise<string> {
    const image: string = container.image ?? '';
    if (!image.trim()) throw new ImagePullError('InvalidImageName', 'Failed to apply default image tag "": couldn\'t parse image name "": invalid reference format', 60_000);
    const ref = normalizeImage(image);
    const policy: string = container.imagePullPolicy ?? (image.includes('@') || !/:[^/]+$/.test(image) || image.endsWith(':latest') ? 'Always' : 'IfNotPresent');
    const present = await this.o.runtime.imageStatus(ref);
    if (policy === 'Never') {
      if (present) return ref;
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.o.recorder.event(pod, 'Warning', 'ErrImageNeverPull', msg);
      throw new ImagePullError('ErrImageNeverPull', msg, 10_000);
    }
    // kts.local/ names images built or imported on the node (no registry serves them); an image
    // whose pull failed recently is not tried again for a while: each try costs a lookup and a timeout.
    const localOnly = ref.startsWith('kts.local/') || (this.unreachable.get(ref) ?? 0) > Date.now();
    if (present && (policy === 'IfNotPresent' || localOnly)) {
      this.o.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return ref;
    }
    const key = `${pod.metadata.uid}/${ref}`;
    const b = this.backoff.get(key);
    const now = Date.now();
    if (b && now < b.until) {
      this.o.recorder.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      throw new ImagePullError('ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${b.lastError}`, b.until - now);
    }
    this.o.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = performance.now();
    try {
      await this.o.runtime.pullImage(ref);
    } catch (e) {
      const msg = e instanceof RuntimeError ? e.details : String(e);
      if (present) {
        // Offline clusters: an image already on the node serves when the registry cannot be reached.
        this.unreachable.set(ref, Date.now() + UNREACHABLE_RETRY_MS);
        this.o.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine and the pull failed (${msg}); using the local copy`);
        return ref;
      }
      const delay = Math.min(this.o.backoffMaxMs ?? 300_000, b ? b.delayMs * 2 : this.o.backoffBaseMs ?? 10_000);
      this.backoff.set(key, { delayMs: delay, until: Date.now() + delay, lastError: msg });
      this.o.recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      this.o.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new ImagePullError('ErrImagePull', msg, delay);
    }
    this.backoff.delete(key);
    const secs = ((performance.now() - t0) / 1000).toFixed(3);
    const st = await this.o.runtime.imageStatus(ref);
    this.o.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting). Image size: ${st?.size ?? 0} bytes.`);
    return ref;
  }

  forgetPod(uid: string): void {
    for (const k of [...this.backoff.keys()]) if (k.startsWith(`${uid}/`)) this.backoff.delete(k);
  }
}
