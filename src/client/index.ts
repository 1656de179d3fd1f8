// The client machinery shared by controllers, the scheduler and the kubelet.

export * from './types.js';
export { InProcessClient } from './in-process.js';
export { HttpClient, kubeconfigToOptions, type HttpClientOptions } from './http-client.js';
export * from './store.js';
export * from './informer.js';
export * from './workqueue.js';
export * from './expectations.js';
export * from './leader-election.js';
