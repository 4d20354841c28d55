/**
 * The baseline report on the dashboard: of the calls a historical CAD import brought in, the
 * share eligible for HEART in all, by call type, and as an hour-of-week heat table; its
 * definition beside it and its CSV export. Small cells suppressed as in the export.
 */
import { useState } from 'preact/hooks';
import { indicators } from '../../api/indicators';
import { useSettings } from '../../app/settings';
import { useT } from '../../i18n';
import { api, Problem, saveFile, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import { baselineText, heatLevel, weekRows } from './view';

const WEEKDAYS = ['ind.weekday.0', 'ind.weekday.1', 'ind.weekday.2', 'ind.weekday.3', 'ind.weekday.4', 'ind.weekday.5', 'ind.weekday.6'] as const;
const HOURS = Array.from({ length: 24 }, (_, h) => h);

export function BaselineSection() {
  const t = useT();
  const { lang } = useSettings();
  const report = useLoad((c) => indicators.baseline(c), []);
  const [problem, setProblem] = useState<Failure | null>(null);
  const download = async () => {
    try {
      saveFile(await indicators.baselineCsv(api()), 'baseline-report.csv');
      setProblem(null);
    } catch (e) {
      setProblem(failure(e));
    }
  };
  const data = report.data;
  const total = data && baselineText(data.total, lang);
  return (
    <section class="board-panel ind-card" aria-labelledby="ind-baseline-h" data-testid="ind-baseline">
      <header class="row ind-card-head">
        <h2 id="ind-baseline-h">{t('ind.baseline.title')}</h2>
        <button type="button" class="btn" data-testid="ind-baseline-csv" onClick={() => void download()}>
          {t('ind.csv')}
        </button>
      </header>
      <Problem problem={report.problem ?? problem} testId="ind-problem" />
      {data && total && (
        <div class="ind-body">
          <div class="ind-figures">
            <p data-testid="ind-baseline-total" data-calls={data.total.calls} data-eligible={data.total.eligible}>
              {t('ind.baseline.total', { calls: total.calls, eligible: total.eligible, share: total.share || '—' })}
            </p>
            {data.by_call_type.length > 0 && (
              <div class="supply-table-wrap" role="region" aria-label={t('ind.baseline.byType')} tabIndex={0}>
                <table class="supply-table ind-table" data-testid="ind-baseline-types">
                  <caption class="sr-only">{t('ind.baseline.byType')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('ind.col.call_type')}</th>
                      <th scope="col" class="num">
                        {t('ind.col.calls')}
                      </th>
                      <th scope="col" class="num">
                        {t('ind.baseline.eligible')}
                      </th>
                      <th scope="col" class="num">
                        {t('ind.col.share')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.by_call_type.map((row) => {
                      const text = baselineText(row, lang);
                      return (
                        <tr key={row.call_type} data-testid="ind-baseline-type" data-call-type={row.call_type}>
                          <th scope="row">{row.name}</th>
                          <td class="num">{text.calls}</td>
                          <td class="num">{text.eligible}</td>
                          <td class="num">{text.share}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
            <div class="supply-table-wrap" role="region" aria-label={t('ind.baseline.byHour')} tabIndex={0}>
              <table class="ind-heat" data-testid="ind-baseline-heat">
                <caption>{t('ind.baseline.byHour')}</caption>
                <thead>
                  <tr>
                    <td />
                    {HOURS.map((h) => (
                      <th scope="col" key={h}>
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {weekRows(data.by_hour_of_week).map((cells, day) => (
                    <tr key={day}>
                      <th scope="row">{t(WEEKDAYS[day]!)}</th>
                      {cells.map((c) => {
                        const level = heatLevel(c);
                        const text = baselineText(c, lang);
                        return (
                          <td key={c.hour} class={level === null ? 'heat-none' : `heat-${level}`} data-testid="ind-heat-cell" data-weekday={c.weekday} data-hour={c.hour} data-calls={c.calls} title={t('ind.baseline.cell', { calls: text.calls, eligible: text.eligible })}>
                            {text.share}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <aside class="ind-definition" aria-label={t('ind.definition')}>
            <h3>{t('ind.definition')}</h3>
            <p lang="en">{data.definition}</p>
          </aside>
        </div>
      )}
    </section>
  );
}
