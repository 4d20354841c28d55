/**
 * The unit's kit: stock per item and lot with expiry (near-expiry and expired marked, the lot to
 * use first named), on hand including what this tablet recorded and has not sent yet; alerts on
 * the kit; transfers on their way to it with "Received"; and "Count the kit", one number per lot
 * (typed, − / +, or a scan per unit with a USB or Bluetooth scanner).
 */
import { useState } from 'preact/hooks';
import { getSession } from '../crypto/session';
import { COUNTED, kitNow, recordKitCount, recordTransferReceipt, useLiveQuery, type CatalogItem, type Kit as KitData, type Transfer } from '../db';
import { formatDateTime, useT } from '../i18n';
import { expiryState, fefoLot, localDay, scannedLot, type KitLot } from '../lib/fieldLogs';
import { parseGs1 } from '../lib/gs1';
import { estimatedNow } from '../lib/deviceClock';
import { afterCapture } from '../app/runtime';
import { useSettings } from '../app/settings';
import { ScanInput, Stepper } from '../ui/FieldControls';

type T = ReturnType<typeof useT>;

const itemName = (t: T, items: CatalogItem[], id: number | null) => items.find((i) => i.id === id)?.name || t('kit.itemNumber', { id: String(id ?? '') });
const lotName = (t: T, lot: { lotNumber: string }) => lot.lotNumber || t('kit.noLot');

export default function Kit() {
  const t = useT();
  const today = localDay(estimatedNow());
  const kit = useLiveQuery(() => kitNow(today), [today]);
  const [counting, setCounting] = useState(false);
  if (!kit) return null;
  return (
    <section class="kit" data-testid="kit">
      <h1>{t('kit.title')}</h1>
      {kit.unsentMoves > 0 && (
        <p class="muted small" data-testid="kit-unsent">
          {t('kit.unsentIncluded', { count: kit.unsentMoves })}
        </p>
      )}
      <Alerts kit={kit} />
      <Transfers kit={kit} />
      {counting ? <Count kit={kit} today={today} onDone={() => setCounting(false)} /> : <Stock kit={kit} today={today} onCount={() => setCounting(true)} />}
    </section>
  );
}

function Alerts({ kit }: { kit: KitData }) {
  const t = useT();
  if (!kit.alerts.length) return null;
  return (
    <section class="card notice-warn" aria-labelledby="kit-alerts-title" data-testid="kit-alerts">
      <h2 id="kit-alerts-title">{t('kit.alerts')}</h2>
      <ul>
        {kit.alerts.map((a) => {
          const lot = kit.lots.find((l) => l.lotId !== null && l.lotId === a.lotId);
          const kind = a.kind === 'low_stock' || a.kind === 'near_expiry' || a.kind === 'expired' ? t(`kit.alert.${a.kind}`) : a.kind;
          return (
            <li key={a.id} data-testid="kit-alert" data-kind={a.kind}>
              <strong>{kind}</strong> · {itemName(t, kit.items, a.itemId)}
              {lot ? ` · ${t('kit.lot', { lot: lotName(t, lot) })}` : ''}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Transfers({ kit }: { kit: KitData }) {
  const t = useT();
  const { lang } = useSettings();
  if (!kit.transfers.length) return null;
  const receive = (x: Transfer) => void recordTransferReceipt(getSession()?.dataKey ?? null, x.id).then(afterCapture);
  return (
    <section class="card" aria-labelledby="kit-transfers-title" data-testid="kit-transfers">
      <h2 id="kit-transfers-title">{t('kit.transfers')}</h2>
      <ul class="kit-transfers">
        {kit.transfers.map((x) => (
          <li key={x.id} data-testid="kit-transfer" data-transfer-id={x.id}>
            <p>
              {t('kit.transferFrom', { from: x.from || '—', when: formatDateTime(x.sentAt, lang) })}
            </p>
            <ul>
              {x.lines.map((l, i) => (
                <li key={i}>
                  {t('kit.transferLine', { n: l.quantity, item: itemName(t, kit.items, l.itemId), lot: lotName(t, l) })}
                </li>
              ))}
            </ul>
            {x.receivedHere ? (
              <span class="pill pill-warn" data-testid="kit-transfer-received">
                {t('kit.receivedNotSent')}
              </span>
            ) : (
              <button type="button" class="btn btn-primary" data-testid="kit-transfer-receive" onClick={() => receive(x)}>
                {t('kit.received')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The kit's lots, grouped by item. */
function byItem(lots: KitLot[]): [number, KitLot[]][] {
  const out = new Map<number, KitLot[]>();
  for (const l of lots) out.set(l.itemId, [...(out.get(l.itemId) ?? []), l]);
  return [...out];
}

function Stock({ kit, today, onCount }: { kit: KitData; today: string; onCount: () => void }) {
  const t = useT();
  return (
    <section class="card" aria-labelledby="kit-stock-title">
      <h2 id="kit-stock-title">{t('kit.stock')}</h2>
      {kit.lots.length ? (
        byItem(kit.lots).map(([itemId, lots]) => {
          const first = fefoLot(lots, itemId, today);
          const total = lots.reduce((n, l) => n + l.onHand, 0);
          return (
            <div key={itemId} class="kit-item" data-testid="kit-item" data-item-id={itemId} data-on-hand={total}>
              <h3>
                {itemName(t, kit.items, itemId)} <span class="muted">· {t('kit.onHand', { n: total })}</span>
              </h3>
              {first && first.lotId !== null && (
                <p class="small" data-testid="kit-fefo" data-lot-id={first.lotId}>
                  {t('kit.useFirst', { lot: lotName(t, first) })}
                </p>
              )}
              <table class="kit-lots">
                <thead>
                  <tr>
                    <th scope="col">{t('kit.lotHeader')}</th>
                    <th scope="col">{t('kit.expires')}</th>
                    <th scope="col">{t('kit.onHandHeader')}</th>
                  </tr>
                </thead>
                <tbody>
                  {lots.map((l) => {
                    const state = expiryState(l.expiresOn, today);
                    return (
                      <tr key={l.key} data-testid="kit-lot" data-lot-id={l.lotId ?? ''} data-on-hand={l.onHand} data-expiry={state}>
                        <td>{lotName(t, l)}</td>
                        <td>
                          {l.expiresOn ?? '—'}{' '}
                          {state !== 'ok' && <span class={`pill pill-tiny ${state === 'expired' ? 'pill-danger' : 'pill-warn'}`}>{t(`kit.expiry.${state}`)}</span>}
                        </td>
                        <td class="num">{l.onHand}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        })
      ) : (
        <p class="muted" data-testid="kit-empty">
          {t('kit.empty')}
        </p>
      )}
      <button type="button" class="btn" data-testid="kit-count-start" disabled={!kit.lots.length} onClick={onCount}>
        {t('kit.count')}
      </button>
    </section>
  );
}

/** "Count the kit": one number per lot (starting at what the tablet thinks is there), saved as one count. */
function Count({ kit, today, onDone }: { kit: KitData; today: string; onDone: () => void }) {
  const t = useT();
  const [counted, setCounted] = useState<Record<string, number>>(() => Object.fromEntries(kit.lots.map((l) => [l.key, Math.max(0, l.onHand)])));
  const [busy, setBusy] = useState(false);
  const [scanned, setScanned] = useState<{ key: string; error: null } | { key: null; error: string } | null>(null);
  const scan = (code: string) => {
    const read = parseGs1(code);
    if (!read.ok) return setScanned({ key: null, error: t(`kit.scanError.${read.error}`) });
    const lot = scannedLot(kit.lots, kit.items, read.value, today);
    if (!lot) return setScanned({ key: null, error: t('kit.scanNotInKit') });
    // Each scan is one more of the lot: a count by scanning starts from zero ("All to zero").
    setCounted((c) => ({ ...c, [lot.key]: Math.min(COUNTED.max, (c[lot.key] ?? 0) + 1) }));
    setScanned({ key: lot.key, error: null });
  };
  const save = async () => {
    setBusy(true);
    try {
      await recordKitCount(
        getSession()?.dataKey ?? null,
        kit.lots.map((l) => ({ locationId: l.locationId, itemId: l.itemId, lotId: l.lotId, counted: counted[l.key] ?? 0 })),
      );
      afterCapture();
      onDone();
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="kit-count-title" data-testid="kit-count">
      <h2 id="kit-count-title">{t('kit.count')}</h2>
      <p class="muted small">{t('kit.countHelp')}</p>
      <ScanInput id="kit-count-scan" label={t('kit.scan')} help={t('kit.scanHelp')} error={scanned?.error ?? null} onScan={scan} />
      <button type="button" class="btn" data-testid="kit-count-zero" onClick={() => setCounted(Object.fromEntries(kit.lots.map((l) => [l.key, 0])))}>
        {t('kit.countZero')}
      </button>
      <ul class="kit-count-lines">
        {kit.lots.map((l) => (
          <li key={l.key} class={scanned?.key === l.key ? 'scanned' : ''} data-testid="kit-count-line" data-lot-id={l.lotId ?? ''} data-counted={counted[l.key] ?? 0}>
            <span>
              {itemName(t, kit.items, l.itemId)} · {t('kit.lot', { lot: lotName(t, l) })}
              {l.expiresOn && <span class="muted"> · {l.expiresOn}</span>}
              {expiryState(l.expiresOn, today) === 'expired' && <span class="pill pill-tiny pill-danger">{t('kit.expiry.expired')}</span>}
            </span>
            <Stepper id={`kit-count-${l.key.replace(/[^A-Za-z0-9-]/g, '-')}`} label={t('kit.countOf', { lot: lotName(t, l) })} value={counted[l.key] ?? 0} max={COUNTED.max} onChange={(n) => setCounted((c) => ({ ...c, [l.key]: n }))} />
          </li>
        ))}
      </ul>
      <div class="row">
        <button type="button" class="btn btn-primary" data-testid="kit-count-save" disabled={busy} onClick={() => void save()}>
          {t('kit.countSave')}
        </button>
        <button type="button" class="btn" data-testid="kit-count-cancel" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </section>
  );
}
