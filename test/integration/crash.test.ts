// Crash safety end to end: kill -9 the server during a stream of writes,
// restart on the same data dir, and find every acknowledged write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKts } from './harness.js';

test('acknowledged writes survive kill -9 and a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kts-crash-'));
  try {
    const kts = await startKts({ dataDir });
    const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(kts.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const acked = new Map<string, string>();
    let i = 0;
    let killed = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (!killed) {
        const name = `crash-${w}-${i++}`;
        const value = `v${i}`;
        try {
          await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { value } } });
          acked.set(name, value);
        } catch {
          return; // the server is gone
        }
      }
    });
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    await kts.kill('SIGKILL');
    await Promise.all(writers);
    assert.ok(acked.size >= 150);

    const again = await startKts({ dataDir });
    try {
      const kc2 = new KubeConfig();
      kc2.loadFromFile(again.kubeconfig);
      const core2 = kc2.makeApiClient(CoreV1Api);
      const list = await core2.listNamespacedConfigMap({ namespace: 'default' });
      const have = new Map(list.items.map((c) => [c.metadata!.name!, c.data?.value]));
      for (const [name, value] of acked) assert.equal(have.get(name), value, `acknowledged ${name} lost`);
      // The store keeps working after the crash.
      await core2.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-crash' } } });
      const rv1 = Number(list.metadata!.resourceVersion);
      const after = await core2.readNamespacedConfigMap({ namespace: 'default', name: 'after-crash' });
      assert.ok(Number(after.metadata!.resourceVersion) > rv1);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
