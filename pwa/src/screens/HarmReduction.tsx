/**
 * The harm-reduction log: on a call (/hr/call/<id>) or on an outreach contact without a call
 * (/hr/contact/new records the contact first, /hr/contact/<id> logs more on it); /hr/ lists the
 * contacts on this tablet. A tap per item with − / +; naloxone given asks route and response,
 * sharps collected where and how they were disposed of. Works offline. No field for a name.
 */
import { useEffect, useState } from 'preact/hooks';
import { getSession } from '../crypto/session';
import {
  getCall,
  getContact,
  harmReductionFor,
  listContacts,
  PLACE_MAX_CHARS,
  QUANTITY,
  recordHarmReduction,
  recordOutreachContact,
  SHARPS_WHERE_MAX_CHARS,
  unsentRecordIds,
  useLiveQuery,
  type HrItem,
  type HrTarget,
  type SyncedRow,
} from '../db';
import { formatDateTime, formatTime, useT } from '../i18n';
import {
  HR_CATEGORIES,
  NALOXONE_RESPONSES,
  NALOXONE_ROUTES,
  SHARPS_DISPOSALS,
  localDay,
  type HrCategory,
  type NaloxoneResponse,
  type NaloxoneRoute,
  type SharpsDisposal,
} from '../lib/fieldLogs';
import { estimatedNow } from '../lib/deviceClock';
import { afterCapture } from '../app/runtime';
import { navigate } from '../app/router';
import { callTitle } from '../app/callView';
import type { ScreenProps } from '../app/areas';
import { useSettings } from '../app/settings';
import { Choice, Stepper } from '../ui/FieldControls';

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
/** A position older than this (ms) is not "where the contact is". */
const POSITION_MAX_AGE_MS = 60_000;
/** How long the contact form waits for a fix before it records the contact without one. */
const POSITION_TIMEOUT_MS = 5_000;

export default function HarmReduction({ param }: ScreenProps) {
  const [kind, id] = decodeURIComponent(param).split('/', 2) as [string, string | undefined];
  if (kind === 'call' && id) return <CallLog callId={id} />;
  if (kind === 'contact' && id === 'new') return <NewContact />;
  if (kind === 'contact' && id) return <ContactLog contactId={id} />;
  return <Contacts />;
}

function Contacts() {
  const t = useT();
  const { lang } = useSettings();
  const contacts = useLiveQuery(listContacts, []);
  return (
    <section data-testid="hr-home">
      <h1>{t('hr.title')}</h1>
      <p class="muted">{t('hr.onCallHint')}</p>
      <button type="button" class="btn btn-primary" data-testid="hr-new-contact" onClick={() => navigate('/hr/contact/new')}>
        {t('hr.newContact')}
      </button>
      <h2>{t('hr.contacts')}</h2>
      {contacts?.length ? (
        <ul class="hr-list" data-testid="hr-contacts">
          {contacts.map((c) => (
            <li key={c.id}>
              <a href={`#/hr/contact/${encodeURIComponent(c.id)}`} data-testid="hr-contact">
                {formatDateTime(str(c.clear.at), lang)}
                {c.clear.place ? ` · ${str(c.clear.place)}` : ''}
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('hr.noContacts')}</p>
      )}
    </section>
  );
}

function CallLog({ callId }: { callId: string }) {
  const t = useT();
  const call = useLiveQuery(() => getCall(callId).then((c) => c ?? null), [callId]);
  if (call === undefined) return null;
  return (
    <section data-testid="hr-call" data-call-id={callId}>
      <button type="button" class="btn btn-ghost back" data-testid="hr-back" onClick={() => navigate(`/call/${encodeURIComponent(callId)}`)}>
        ← {t('hr.backToCall')}
      </button>
      <h1>{t('hr.onCall', { call: call ? callTitle(call.clear) || str(call.clear.cad_number) : callId })}</h1>
      <Log target={{ callId: call?.rawId ?? callId }} recorded={{ callId }} />
    </section>
  );
}

function ContactLog({ contactId }: { contactId: string }) {
  const t = useT();
  const { lang } = useSettings();
  const contact = useLiveQuery(() => getContact(contactId), [contactId]);
  if (contact === undefined) return null;
  return (
    <section data-testid="hr-contact-log" data-contact-id={contactId}>
      <button type="button" class="btn btn-ghost back" onClick={() => navigate('/hr/')}>
        ← {t('hr.backToContacts')}
      </button>
      <h1>{t('hr.contactTitle')}</h1>
      {contact && (
        <p class="muted">
          {formatDateTime(str(contact.clear.at), lang)}
          {contact.clear.place ? ` · ${str(contact.clear.place)}` : ''}
        </p>
      )}
      <Log target={{ contactId }} recorded={{ contactId }} />
    </section>
  );
}

type Position = { lat: number; lon: number } | 'waiting' | 'none';

/** The position now, when the tablet gives one soon enough. */
function usePosition(): Position {
  const [pos, setPos] = useState<Position>('geolocation' in navigator ? 'waiting' : 'none');
  useEffect(() => {
    if (!('geolocation' in navigator)) return;
    navigator.geolocation.getCurrentPosition(
      (p) => setPos({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => setPos('none'),
      { maximumAge: POSITION_MAX_AGE_MS, timeout: POSITION_TIMEOUT_MS },
    );
  }, []);
  return pos;
}

/** A contact without a call: recorded with what the tablet gave on Save, then the log on it. */
function NewContact() {
  const t = useT();
  const pos = usePosition();
  const [place, setPlace] = useState('');
  return (
    <section data-testid="hr-new">
      <button type="button" class="btn btn-ghost back" onClick={() => navigate('/hr/')}>
        ← {t('hr.backToContacts')}
      </button>
      <h1>{t('hr.newContact')}</h1>
      <p class="muted" data-testid="hr-position" data-state={typeof pos === 'string' ? pos : 'known'}>
        {pos === 'waiting' ? t('hr.positionWaiting') : pos === 'none' ? t('hr.positionNone') : t('hr.positionKnown')}
      </p>
      <label for="hr-place">{t('hr.place')}</label>
      <input id="hr-place" data-testid="hr-place" maxLength={PLACE_MAX_CHARS} value={place} onInput={(e) => setPlace(e.currentTarget.value)} />
      <Log
        target={null}
        recorded={null}
        before={async () => {
          const op = await recordOutreachContact(getSession()?.dataKey ?? null, {
            ...(typeof pos === 'object' ? pos : {}),
            ...(place.trim() ? { place: place.trim() } : {}),
          });
          return op.record_id;
        }}
      />
    </section>
  );
}

interface Draft {
  counts: Partial<Record<HrCategory, number>>;
  route: NaloxoneRoute | null;
  response: NaloxoneResponse | null;
  sharpsWhere: string;
  sharpsDisposal: SharpsDisposal | null;
}

const EMPTY: Draft = { counts: {}, route: null, response: null, sharpsWhere: '', sharpsDisposal: null };

/** The items of a draft with a count, as entries to capture. */
function itemsOf(d: Draft): HrItem[] {
  return HR_CATEGORIES.flatMap((category): HrItem[] => {
    const quantity = d.counts[category] ?? 0;
    if (quantity < 1) return [];
    if (category === 'naloxone_administered') return [{ category, quantity, route: d.route ?? undefined, response: d.response ?? undefined }];
    if (category === 'sharps_collected') return [{ category, quantity, sharpsWhere: d.sharpsWhere.trim() || undefined, sharpsDisposal: d.sharpsDisposal ?? undefined }];
    return [{ category, quantity }];
  });
}

/** What the draft still needs before Save: naloxone given needs route and response, sharps their disposal. */
function missing(d: Draft): boolean {
  const n = (c: HrCategory) => d.counts[c] ?? 0;
  return (n('naloxone_administered') > 0 && (!d.route || !d.response)) || (n('sharps_collected') > 0 && !d.sharpsDisposal);
}

/**
 * The tap-per-item form and, under it, what was recorded on the same call or contact. `before`
 * makes the target on Save (a new contact), then the screen moves to that contact's log.
 */
interface LogProps {
  target: HrTarget | null;
  recorded: { callId: string } | { contactId: string } | null;
  /** Makes the target on Save (a new contact) and gives its id. */
  before?(): Promise<string>;
}

function Log({ target, recorded, before }: LogProps) {
  const t = useT();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const items = itemsOf(draft);
  const count = (c: HrCategory) => draft.counts[c] ?? 0;
  const save = async () => {
    setBusy(true);
    try {
      const contactId = before ? await before() : null;
      const to: HrTarget = contactId ? { contactId } : target!;
      await recordHarmReduction(getSession()?.dataKey ?? null, to, items, localDay(estimatedNow()));
      afterCapture();
      setDraft(EMPTY);
      setSaved(true);
      if (contactId) navigate(`/hr/contact/${encodeURIComponent(contactId)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section class="card" aria-labelledby="hr-items-title">
        <h2 id="hr-items-title">{t('hr.items')}</h2>
        <ul class="hr-items">
          {HR_CATEGORIES.map((c) => (
            <li key={c} class="hr-item" data-testid={`hr-item-${c}`}>
              <span class="hr-item-name">{t(`hr.category.${c}`)}</span>
              <Stepper
                id={`hr-count-${c}`}
                label={t(`hr.category.${c}`)}
                value={count(c)}
                max={QUANTITY.max}
                onChange={(n) => {
                  setSaved(false);
                  setDraft((d) => ({ ...d, counts: { ...d.counts, [c]: n } }));
                }}
              />
              {c === 'naloxone_administered' && count(c) > 0 && (
                <div class="hr-details">
                  <p class="muted small">{t('hr.doses')}</p>
                  <Choice id="hr-route" label={t('hr.route')} options={NALOXONE_ROUTES} value={draft.route} labelOf={(v) => t(`hr.route.${v}`)} onChange={(route) => setDraft((d) => ({ ...d, route }))} />
                  <Choice
                    id="hr-response"
                    label={t('hr.response')}
                    options={NALOXONE_RESPONSES}
                    value={draft.response}
                    labelOf={(v) => t(`hr.response.${v}`)}
                    onChange={(response) => setDraft((d) => ({ ...d, response }))}
                  />
                </div>
              )}
              {c === 'sharps_collected' && count(c) > 0 && (
                <div class="hr-details">
                  <label for="hr-sharps-where">{t('hr.sharpsWhere')}</label>
                  <input
                    id="hr-sharps-where"
                    data-testid="hr-sharps-where"
                    maxLength={SHARPS_WHERE_MAX_CHARS}
                    value={draft.sharpsWhere}
                    onInput={(e) => {
                      const sharpsWhere = e.currentTarget.value;
                      setDraft((d) => ({ ...d, sharpsWhere }));
                    }}
                  />
                  <Choice
                    id="hr-disposal"
                    label={t('hr.disposal')}
                    options={SHARPS_DISPOSALS}
                    value={draft.sharpsDisposal}
                    labelOf={(v) => t(`hr.disposal.${v}`)}
                    onChange={(sharpsDisposal) => setDraft((d) => ({ ...d, sharpsDisposal }))}
                  />
                </div>
              )}
            </li>
          ))}
        </ul>
        {missing(draft) && <p class="notice notice-warn small">{t('hr.needsDetails')}</p>}
        <button type="button" class="btn btn-primary btn-wide" data-testid="hr-save" disabled={busy || !items.length || missing(draft)} onClick={() => void save()}>
          {t('hr.save')}
        </button>
        {saved && (
          <p class="ok" role="status" data-testid="hr-saved">
            {t('hr.saved')}
          </p>
        )}
      </section>
      {recorded && <Recorded target={recorded} />}
    </>
  );
}

/** What was recorded on this call or contact (here, or pulled from the crew's other tablet). */
function Recorded({ target }: { target: { callId: string } | { contactId: string } }) {
  const t = useT();
  const { lang } = useSettings();
  const key = 'callId' in target ? target.callId : target.contactId;
  const rows = useLiveQuery(() => harmReductionFor(target), [key]);
  const unsent = useLiveQuery(unsentRecordIds, []);
  return (
    <section class="card" aria-labelledby="hr-recorded-title">
      <h2 id="hr-recorded-title">{t('hr.recorded')}</h2>
      {rows?.length ? (
        <ul class="hr-list" data-testid="hr-recorded">
          {rows.map((r) => (
            <li key={r.id} data-testid="hr-entry" data-category={str(r.clear.category)} data-quantity={str(r.clear.quantity)}>
              <span class="muted">{formatTime(str(r.clear.at), lang)} · </span>
              {entryText(t, r)}
              {unsent?.has(r.id) && <span class="pill pill-warn pill-tiny">{t('hr.notSent')}</span>}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('hr.nothingYet')}</p>
      )}
    </section>
  );
}

function entryText(t: ReturnType<typeof useT>, r: SyncedRow): string {
  const c = r.clear;
  const category = str(c.category) as HrCategory;
  const parts = [t('hr.entry', { what: HR_CATEGORIES.includes(category) ? t(`hr.category.${category}`) : category, n: str(c.quantity) })];
  if (c.route) parts.push(t(`hr.route.${str(c.route) as NaloxoneRoute}`));
  if (c.response) parts.push(t(`hr.response.${str(c.response) as NaloxoneResponse}`));
  if (c.sharps_where) parts.push(str(c.sharps_where));
  if (c.sharps_disposal) parts.push(t(`hr.disposal.${str(c.sharps_disposal) as SharpsDisposal}`));
  return parts.join(' · ');
}
