// The controller manager (upstream kube-controller-manager): one shared
// informer factory and the controllers on top of it. With leader election
// the controllers run only while this process holds the Lease
// kube-system/kube-controller-manager; a process that loses it stops its
// controllers (and informers) and campaigns again, so standbys stay hot and
// exactly one manager acts.

import type { ResourceInfo } from '../api/registry.js';
import type { ApiClient } from '../client/types.js';
import { SharedInformerFactory } from '../client/informer.js';
import { LeaderElector } from '../client/leader-election.js';
import { ApiEventRecorder } from './events.js';
import { NamespaceController } from './namespace.js';
import { ReplicaSetController } from './replicaset.js';
import { DeploymentController } from './deployment.js';
import { GarbageCollector } from './garbage-collector.js';
import { EndpointsController } from './endpoints.js';
import { JobController } from './job.js';
import { StatefulSetController } from './statefulset.js';
import { DaemonSetController } from './daemonset.js';
import { NodeLifecycleController } from './nodelifecycle.js';
import { DisruptionController } from './disruption.js';
import { CronJobController } from './cronjob.js';
import { EndpointSliceController } from './endpointslice.js';
import { ServiceAccountsController } from './serviceaccount.js';
import { NodeIpamController } from './node-ipam.js';
import { ClusterRoleAggregationController } from './clusterrole-aggregation.js';
import { ResourceQuotaController } from './resourcequota.js';
import { RootCAPublisher } from './root-ca-publisher.js';
import { TokensController, type LegacyTokenSigner } from './serviceaccount-tokens.js';
import { PersistentVolumeBinder } from './pv-binder.js';
import { HorizontalPodAutoscalerController } from './hpa.js';
import { errorMessage } from './util.js';
import { CSRApprovingController } from './csr-approving.js';
import { CSRSigningController } from './csr-signing.js';
import { CSRCleaner } from './csr-cleaner.js';
import type { CertKeyPair } from '../apiserver/pki/index.js';

export const LEASE_NAMESPACE = 'kube-system';
export const LEASE_NAME = 'kube-controller-manager';

export interface ControllerManagerOptions {
  /** This manager's identity in the Lease (upstream: hostname + "_" + a uuid). */
  identity: string;
  leaderElection: boolean;
  /** The served resources (for the namespace controller and the garbage collector). */
  resources: () => ResourceInfo[];
  /** Lease timing (defaults as upstream: 15 s / 10 s / 2 s). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Workers per controller (defaults: replicaset 5, deployment 5, namespace 2, garbage collector 10). */
  workers?: { replicaset?: number; deployment?: number; namespace?: number; garbageCollector?: number };
  /** Called with the identity whenever the observed leader changes. */
  onNewLeader?: (identity: string) => void;
  onError?: (what: string, err: unknown) => void;
  /** The cluster CA (published as kube-root-ca.crt) and the legacy token signer: without them those two controllers do not run. */
  rootCA?: string;
  signLegacyToken?: LegacyTokenSigner;
  /** Where the local-path provisioner creates volume directories (`<data-dir>/storage`); without it the binder only binds. */
  storageDir?: string;
  /** Pod addresses of the cluster, split into one subnet per node (default 10.42.0.0/16, /24 per node). */
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** Timings as kube-controller-manager's flags (defaults: upstream's). */
  hpaSyncPeriodMs?: number;
  hpaDownscaleStabilizationMs?: number;
  nodeMonitorPeriodMs?: number;
  nodeMonitorGracePeriodMs?: number;
  /** The cluster CA's certificate and key: with it the CSR signing controller issues certificates. */
  clusterCA?: CertKeyPair;
  /** The longest certificate the CSR signer issues (upstream's --cluster-signing-duration, default one year). */
  signingDurationMs?: number;
}

export interface ControllerManager {
  /** Stops the controllers (and leader election, releasing the Lease). */
  stop(): Promise<void>;
  /** True while this manager's controllers run. */
  isLeading(): boolean;
}

interface RunningControllers {
  stop(): Promise<void>;
}

/** Starts every controller on one shared informer factory. */
export function runControllers(client: ApiClient, opts: ControllerManagerOptions): RunningControllers {
  const factory = new SharedInformerFactory(client);
  // As upstream's controllers: source.component only, no host.
  const recorderOpts = { onError: (e: unknown) => opts.onError?.('recording an event', e) };
  const namespaces = new NamespaceController(client, opts.resources, { factory, workers: opts.workers?.namespace ?? 2 });
  const replicasets = new ReplicaSetController(client, factory, { recorder: new ApiEventRecorder(client, 'replicaset-controller', recorderOpts) });
  const deployments = new DeploymentController(client, factory, { recorder: new ApiEventRecorder(client, 'deployment-controller', recorderOpts) });
  const jobs = new JobController(client, factory, { recorder: new ApiEventRecorder(client, 'job-controller', recorderOpts) });
  const cronjobs = new CronJobController(client, factory, { recorder: new ApiEventRecorder(client, 'cronjob-controller', recorderOpts) });
  const daemonsets = new DaemonSetController(client, factory, { recorder: new ApiEventRecorder(client, 'daemonset-controller', recorderOpts) });
  const statefulsets = new StatefulSetController(client, factory, { recorder: new ApiEventRecorder(client, 'statefulset-controller', recorderOpts) });
  const nodeLifecycle = new NodeLifecycleController(client, factory, {
    recorder: new ApiEventRecorder(client, 'node-controller', recorderOpts),
    nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs,
    nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
  });
  const autoscalers = new HorizontalPodAutoscalerController(client, factory, {
    recorder: new ApiEventRecorder(client, 'horizontal-pod-autoscaler', recorderOpts),
    syncPeriodMs: opts.hpaSyncPeriodMs,
    downscaleStabilizationMs: opts.hpaDownscaleStabilizationMs,
  });
  const disruption = new DisruptionController(client, factory, { recorder: new ApiEventRecorder(client, 'controllermanager', recorderOpts) });
  const endpoints = new EndpointsController(client, factory);
  const endpointSlices = new EndpointSliceController(client, factory);
  const serviceAccounts = new ServiceAccountsController(client, factory);
  const nodeIpam = new NodeIpamController(client, factory, { clusterCIDR: opts.clusterCIDR, nodeMaskSize: opts.nodeCIDRMaskSize, onError: opts.onError ? (key, e) => opts.onError!(`allocating a pod CIDR for node ${key}`, e) : undefined });
  const aggregation = new ClusterRoleAggregationController(client, factory);
  const volumes = new PersistentVolumeBinder(client, factory, { recorder: new ApiEventRecorder(client, 'persistentvolume-controller', recorderOpts), storageDir: opts.storageDir });
  const quotas = new ResourceQuotaController(client, factory, { resources: opts.resources });
  const rootCA = opts.rootCA ? new RootCAPublisher(client, factory, opts.rootCA) : undefined;
  const tokens = opts.rootCA && opts.signLegacyToken ? new TokensController(client, factory, opts.signLegacyToken, opts.rootCA) : undefined;
  const csrApproving = new CSRApprovingController(client, factory);
  const csrSigning = opts.clusterCA ? new CSRSigningController(client, factory, opts.clusterCA, { maxDurationMs: opts.signingDurationMs }) : undefined;
  const csrCleaner = new CSRCleaner(client, factory, (e) => opts.onError?.('cleaning CertificateSigningRequests', e));
  // Last, so it reuses the informers the others asked for.
  const gc = new GarbageCollector(client, { resources: opts.resources, factory, workers: opts.workers?.garbageCollector });
  factory.start();
  const runs = [
    namespaces.run(opts.workers?.namespace ?? 2),
    replicasets.run(opts.workers?.replicaset ?? 5),
    deployments.run(opts.workers?.deployment ?? 5),
    statefulsets.run(5),
    daemonsets.run(2),
    nodeLifecycle.run(1),
    autoscalers.run(5),
    disruption.run(5),
    jobs.run(5),
    cronjobs.run(5),
    endpoints.run(5),
    endpointSlices.run(5),
    serviceAccounts.run(1),
    nodeIpam.run(1),
    aggregation.run(1),
    quotas.run(5),
    volumes.run(5),
    gc.run(),
    ...(rootCA ? [rootCA.run(1)] : []),
    ...(tokens ? [tokens.run(2)] : []),
    csrApproving.run(2),
    ...(csrSigning ? [csrSigning.run(2)] : []),
  ];
  // Periodic, not queue-driven: not among the runs stop() waits for.
  void csrCleaner.run();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await Promise.all([namespaces.stop(), replicasets.stop(), deployments.stop(), statefulsets.stop(), daemonsets.stop(), nodeLifecycle.stop(), autoscalers.stop(), disruption.stop(), jobs.stop(), cronjobs.stop(), endpoints.stop(), endpointSlices.stop(), serviceAccounts.stop(), nodeIpam.stop(), aggregation.stop(), quotas.stop(), volumes.stop(), gc.stop(), rootCA?.stop(), tokens?.stop(), csrApproving.stop(), csrSigning?.stop()]);
        csrCleaner.stop();
        factory.stop();
        await Promise.allSettled(runs);
      })();
      return stopping;
    },
  };
}

export async function startControllerManager(client: ApiClient, opts: ControllerManagerOptions): Promise<ControllerManager> {
  const report = opts.onError ?? ((what: string, err: unknown) => console.error(`controller manager: ${what}: ${errorMessage(err)}`));
  if (!opts.leaderElection) {
    const running = runControllers(client, opts);
    return { stop: () => running.stop(), isLeading: () => true };
  }

  let current: RunningControllers | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const elector = new LeaderElector({
    client,
    namespace: LEASE_NAMESPACE,
    name: LEASE_NAME,
    identity: opts.identity,
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    onError: (err, context) => report(`leader election: ${context}`, err),
    callbacks: {
      onStartedLeading(signal) {
        const running = runControllers(client, opts);
        current = running;
        signal.addEventListener('abort', () => {
          void running.stop();
        });
      },
      onStoppedLeading() {
        const running = current;
        current = undefined;
        void running?.stop();
      },
      onNewLeader: opts.onNewLeader,
    },
  });

  // Campaign, lead, and after losing the lease campaign again until stopped.
  const loop = (async () => {
    while (!stopped) {
      try {
        await elector.run();
      } catch (e) {
        report('leader election', e);
      }
      const running = current;
      current = undefined;
      await running?.stop();
      if (!stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, opts.retryPeriodMs ?? 2000);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      const running = current;
      // Stop acting before the lease is released, so a successor never overlaps.
      await running?.stop();
      await elector.stop();
      wake?.();
      await loop;
    },
    isLeading: () => current !== undefined,
  };
}
