import { db } from './db';
import type { MetaKey } from './Meta';

export async function getMeta<T>(key: MetaKey | `tokens:${string}`): Promise<T | undefined> {
  return (await db().meta.get(key))?.value as T | undefined;
}

export async function setMeta(key: MetaKey | `tokens:${string}`, value: unknown): Promise<void> {
  await db().meta.put({ key, value });
}
