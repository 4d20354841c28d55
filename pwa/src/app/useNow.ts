/** The server's time as the tablet knows it (`estimatedNow`), re-read every `everyMs`: for ages and due times on screen. */
import { useEffect, useState } from 'preact/hooks';
import { estimatedNow } from '../lib/deviceClock';

export function useNow(everyMs: number): number {
  const [now, setNow] = useState(estimatedNow);
  useEffect(() => {
    const timer = setInterval(() => setNow(estimatedNow()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
