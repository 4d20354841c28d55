import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { getTrackingStatus, onTrackingStatus } from '../app/runtime';

/** On duty: whether the tablet is recording its position, and what to do when it is not. */
export function TrackingStatus() {
  const t = useT();
  const [status, set] = useState(getTrackingStatus());
  useEffect(() => onTrackingStatus(set), []);
  if (status === 'idle') return null;
  return (
    <span class={`pill ${status === 'on' ? 'pill-ok' : 'pill-warn'}`} data-testid="tracking-status" data-status={status}>
      {t(`tracking.${status}`)}
    </span>
  );
}
