/** Hash routes (work offline from index.html): #/calls, #/call/<id>, #/review, #/storage, #/settings. */
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  return window.location.hash.replace(/^#/, '') || '/calls';
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path;
}
