import { useState } from 'preact/hooks';
import { NetworkError } from '../api/client';
import type { CallEditableField, PushedKind } from '../api/facts';
import { sessionApi } from '../app/auth';
import { scheduler } from '../app/runtime';
import { useOpened } from '../app/useOpened';
import { dropConflict, listCalls, listRejected, openConflicts, useLiveQuery, type ConflictRow } from '../db';
import { callTitle } from '../app/callView';
import { formatDateTime, useT, type Key } from '../i18n';
import { useSettings } from '../app/settings';

const str = (v: unknown) => (v === null || v === undefined || v === '' ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const FIELD_KEYS: Record<CallEditableField, Key> & Record<string, Key> = { disposition: 'field.disposition', disposition_code: 'field.disposition_code', transport_destination: 'field.transport_destination' };
const KIND_KEYS: Record<PushedKind, Key> & Record<string, Key> = { call_status: 'kind.call_status', call_note: 'kind.call_note', call: 'kind.call', location_point: 'kind.location_point', kit_count: 'kind.kit_count', transfer_receipt: 'kind.transfer_receipt', harm_reduction_entry: 'kind.harm_reduction_entry', outreach_contact: 'kind.outreach_contact', post_call_survey: 'kind.post_call_survey' };

/** Conflicts (both values, who changed the server's and when) and rejected entries, in plain words. */
export default function Review() {
  const t = useT();
  const conflicts = useLiveQuery(openConflicts, []);
  const opened = useOpened(conflicts);
  const rejected = useLiveQuery(listRejected, []);
  const calls = useLiveQuery(listCalls, []);
  /** A call named as a person reads it: CAD number and type, not a UUID. */
  const callName = (id: string) => {
    const c = calls?.find((x) => x.id === id);
    if (!c) return id.slice(0, 8);
    return [c.clear.cad_number ? `#${String(c.clear.cad_number)}` : null, callTitle(c.clear)].filter(Boolean).join(' · ');
  };
  return (
    <section>
      <h1>{t('review.title')}</h1>
      <h2>{t('review.conflicts')}</h2>
      {conflicts && conflicts.length === 0 && <p class="empty">{t('review.noConflicts')}</p>}
      <ul class="review-list">
        {(conflicts ?? []).map((c, i) => (
          <ConflictItem key={c.id} row={c} data={opened?.[i] ?? c.clear} callName={callName} />
        ))}
      </ul>
      <h2>{t('review.rejected')}</h2>
      <p class="muted">{t('review.rejectedHelp')}</p>
      {rejected && rejected.length === 0 && <p class="empty">{t('review.noRejected')}</p>}
      <ul class="review-list">
        {(rejected ?? []).map((r) => (
          <li key={r.id} class="card rejected-item" data-testid="rejected-item">
            <strong>{t('review.rejectedKind', { kind: KIND_KEYS[r.kind] ? t(KIND_KEYS[r.kind]!) : r.kind, time: formatDateTime(r.rejectedAt) })}</strong>
            {r.message && <p>{r.message}</p>}
            {r.errors && (
              <ul class="errors">
                {Object.entries(r.errors).flatMap(([loc, fields]) =>
                  Array.isArray(fields)
                    ? [<li key={loc}>{fields.join(', ')}</li>]
                    : Object.entries(fields).map(([f, msgs]) => (
                        <li key={`${loc}.${f}`}>
                          <code>{f}</code>: {msgs.join(', ')}
                        </li>
                      )),
                )}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ConflictItem({ row, data, callName }: { row: ConflictRow; data: Record<string, unknown>; callName: (id: string) => string }) {
  const t = useT();
  const { lang } = useSettings();
  const [msg, setMsg] = useState<string | null>(null);
  const field = str(data.field);
  const resolve = async (choice: 'server' | 'device') => {
    const api = sessionApi();
    if (!api) return setMsg(t('sync.signin'));
    try {
      await api.resolveConflict(String(row.rawId), { choice });
      await dropConflict(row.id);
      void scheduler.syncNow();
    } catch (e) {
      setMsg(e instanceof NetworkError ? t('review.resolveOffline') : t('review.resolveFailed'));
    }
  };
  const who = str(data.server_changed_by_name ?? data.server_changed_by ?? data.changed_by_name ?? data.changed_by) || t('review.unknown');
  const when = str(data.server_changed_at ?? data.changed_at ?? data.opened_at);
  /** The call was cancelled or moved to another unit: a supervisor settles it, and the server's side is not shown. */
  const forSupervisor = data.resolvable_by === 'supervisor';
  return (
    <li class="card conflict-item" data-testid="conflict-item" data-conflict-id={row.id}>
      <strong>
        {t('review.conflictField', { field: FIELD_KEYS[field] ? t(FIELD_KEYS[field]!) : field, call: callName(str(data.call_id ?? data.record_id)) })}
      </strong>
      {' '}
      <a href={`#/call/${encodeURIComponent(str(data.call_id ?? data.record_id))}`} data-testid="conflict-open-call">
        {t('calls.open')}
      </a>
      <div class="versions">
        <div class="version mine">
          <h3>{t('review.yours')}</h3>
          <p data-testid="conflict-device-value">{str(data.device_value)}</p>
        </div>
        {!forSupervisor && (
          <div class="version theirs">
            <h3>{t('review.server')}</h3>
            <p data-testid="conflict-server-value">{str(data.server_value)}</p>
            <p class="muted small">{t('review.changedBy', { who, time: when ? formatDateTime(when, lang) : t('review.unknown') })}</p>
          </div>
        )}
      </div>
      {msg && (
        <p class="notice notice-error" role="alert">
          {msg}
        </p>
      )}
      {forSupervisor ? (
        <p class="muted" data-testid="conflict-for-supervisor">
          {t('review.forSupervisor')}
        </p>
      ) : (
        <div class="row">
          <button type="button" class="btn" data-testid="resolve-server" onClick={() => void resolve('server')}>
            {t('review.keepServer')}
          </button>
          <button type="button" class="btn btn-primary" data-testid="resolve-device" onClick={() => void resolve('device')}>
            {t('review.keepMine')}
          </button>
        </div>
      )}
    </li>
  );
}
