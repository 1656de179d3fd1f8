import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';

/** Creates `name` in `collection`, or replaces it with `want` (kts owns these objects). */
export async function upsert(client: ApiClient, collection: string, name: string, want: any): Promise<void> {
  try {
    const cur = await client.get(`${collection}/${name}`);
    await client.update(`${collection}/${name}?fieldManager=kts`, { ...want, metadata: { ...want.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(`${collection}?fieldManager=kts`, want);
  }
}
