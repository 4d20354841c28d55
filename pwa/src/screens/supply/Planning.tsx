/** Par levels per location and item (edited in place) and the reorder report, with its CSV download. */
import { useState } from 'preact/hooks';
import { supplies, type CatalogItem, type ParLevel } from '../../api/supplies';
import { useT } from '../../i18n';
import { ACTIONS, api, FieldMessage, LocationPicker, num, NumberField, Problem, saveFile, Table, useLoad, useLocations } from './common';
import { failure, reorderFileName, wholeNumber, type Failure } from './view';

export function ParLevels() {
  const t = useT();
  const locations = useLocations();
  const catalog = useLoad((c) => supplies.catalog(c), []);
  const levels = useLoad((c) => supplies.parLevels(c), []);
  const [locationId, setLocationId] = useState<number | null>(null);
  return (
    <div data-testid="supply-par">
      <p class="muted">{t('supply.parHelp')}</p>
      <LocationPicker id="par-location" label="supply.location" value={locationId} onChange={setLocationId} locations={locations} testId="par-location" />
      <Problem problem={catalog.problem ?? levels.problem} />
      {locationId !== null && catalog.data && levels.data && (
        <Table label={t('supply.tab.par')} testId="par-table" columns={['supply.col.item', num('supply.col.par'), ACTIONS]}>
          <tbody>
            {catalog.data.map((item) => (
              <ParRow
                key={`${locationId}:${item.id}`}
                locationId={locationId}
                item={item}
                level={levels.data!.find((l) => l.location_id === locationId && l.item_id === item.id)}
                onSaved={levels.reload}
              />
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}

function ParRow({ locationId, item, level, onSaved }: { locationId: number; item: CatalogItem; level: ParLevel | undefined; onSaved: () => void }) {
  const t = useT();
  const [value, setValue] = useState(level ? String(level.par) : '');
  const [problem, setProblem] = useState<Failure | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async () => {
    setSaved(false);
    const par = wholeNumber(value, 0);
    if (par === null) return setProblem({ kind: 'fields', fields: { par: t('supply.wholeNumberZero') } });
    try {
      await supplies.setParLevel(api(), { location_id: locationId, item_id: item.id, par });
      setProblem(null);
      setSaved(true);
      onSaved();
    } catch (e) {
      setProblem(failure(e));
    }
  };
  const err = problem?.kind === 'fields' ? (problem.fields.par ?? Object.values(problem.fields).join(' ')) : null;
  return (
    <tr data-testid="par-row" data-item-id={item.id}>
      <th scope="row">{item.name}</th>
      <td class="num">
        <NumberField testId="par-input" min={0} label={t('supply.parFor', { item: item.name })} invalid={!!err} value={value} onInput={setValue} />
        <FieldMessage text={err} />
        <Problem problem={problem?.kind === 'fields' ? null : problem} />
      </td>
      <td>
        <button type="button" class="btn btn-small" data-testid="par-save" onClick={() => void save()}>
          {t('supply.save')}
        </button>
        {saved && (
          <span class="ok" role="status" data-testid="par-saved">
            {t('supply.saved')}
          </span>
        )}
      </td>
    </tr>
  );
}

export function Reorder() {
  const t = useT();
  const report = useLoad((c) => supplies.reorder(c), []);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      saveFile(await supplies.reorderCsv(api()), reorderFileName(new Date()));
      setProblem(null);
    } catch (e) {
      setProblem(failure(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="supply-reorder">
      <div class="row">
        <p class="muted">{t('supply.reorderHelp')}</p>
        <span class="spacer" />
        <button type="button" class="btn btn-primary" data-testid="reorder-download" disabled={busy} onClick={() => void download()}>
          {t('supply.downloadCsv')}
        </button>
      </div>
      <Problem problem={report.problem ?? problem} />
      {report.data && report.data.length === 0 && <p class="empty">{t('supply.noReorder')}</p>}
      {report.data && report.data.length > 0 && (
        <Table label={t('supply.tab.reorder')} testId="reorder-table" columns={['supply.col.location', 'supply.col.item', num('supply.col.onHand'), num('supply.col.par'), num('supply.col.used30d'), num('supply.col.suggested')]}>
          <tbody>
            {report.data.map((r) => (
              <tr key={`${r.location_id}:${r.item_id}`} data-testid="reorder-row" class={r.suggested_order > 0 ? 'needs-order' : ''}>
                <td>{r.location_name}</td>
                <th scope="row">{r.item_name}</th>
                <td class="num">{r.on_hand}</td>
                <td class="num">{r.par}</td>
                <td class="num">{r.used_30d}</td>
                <td class="num" data-testid="reorder-suggested">
                  <strong>{r.suggested_order}</strong>
                  {r.pack_size > 1 && r.suggested_packs > 0 ? <span class="muted small block">{t('supply.packsCount', { count: r.suggested_packs })}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
