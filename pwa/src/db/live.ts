/** Reactive reads for components (Dexie liveQuery behind a Preact hook). */
import { liveQuery } from 'dexie';
import { useEffect, useState } from 'preact/hooks';

export function useLiveQuery<T>(query: () => Promise<T>, deps: unknown[]): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    const sub = liveQuery(query).subscribe({
      next: (v) => setValue(() => v),
      error: (e: unknown) => console.error('liveQuery', e),
    });
    return () => sub.unsubscribe();
  }, deps);
  return value;
}
