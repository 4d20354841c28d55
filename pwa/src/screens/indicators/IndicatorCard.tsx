/**
 * One indicator on the dashboard: its chart and table of figures (small cells suppressed as the
 * exports are), its published definition beside them, and the download of its CSV export.
 */
import { useState } from 'preact/hooks';
import { indicators, type Definition } from '../../api/indicators';
import { useSettings } from '../../app/settings';
import { useT } from '../../i18n';
import { api, Problem, saveFile, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import { Chart } from './Chart';
import { byProgram, cellText, chartData, columnLabel, csvFileName, groupValueLabel, queryOf, seriesLabel, titleOf, type Filters } from './view';

export function IndicatorCard({ definition, filters }: { definition: Definition; filters: Filters }) {
  const t = useT();
  const { lang } = useSettings();
  const query = queryOf(filters);
  const answer = useLoad((c) => indicators.one(c, definition.id, query), [definition.id, query]);
  const [problem, setProblem] = useState<Failure | null>(null);
  const title = titleOf(t, definition.id, definition.title);
  const download = async () => {
    try {
      saveFile(await indicators.csv(api(), definition.id, query), csvFileName(definition.id, filters));
      setProblem(null);
    } catch (e) {
      setProblem(failure(e));
    }
  };
  const ind = answer.data;
  const rows = ind?.rows ?? [];
  const chart = ind && chartData(ind);
  const headingId = `ind-${definition.id}-h`;
  return (
    <section class="board-panel ind-card" aria-labelledby={headingId} data-testid="ind-card" data-indicator={definition.id}>
      <header class="row ind-card-head">
        <h2 id={headingId}>{title}</h2>
        <button type="button" class="btn" data-testid="ind-csv" onClick={() => void download()}>
          {t('ind.csv')}
        </button>
      </header>
      <Problem problem={answer.problem ?? problem} testId="ind-problem" />
      <div class="ind-body">
        <div class="ind-figures">
          {ind && filters.program && !byProgram(ind) && <p class="ind-note">{t('ind.notByProgram')}</p>}
          {ind?.notes.map((n) => (
            <p class="ind-note" key={n} data-testid="ind-server-note">
              {n}
            </p>
          ))}
          {chart && chart.series.length > 0 && (
            <Chart
              xs={chart.xs}
              series={chart.series}
              labels={chart.series.map((s) => seriesLabel(t, ind.groups, s.group))}
              summary={t('ind.chartSummary', { title, count: chart.series.length })}
              testId="ind-chart"
            />
          )}
          {ind && rows.length === 0 && (
            <p class="empty" data-testid="ind-empty">
              {t('ind.empty')}
            </p>
          )}
          {ind && rows.length > 0 && (
            <div class="supply-table-wrap" role="region" aria-label={t('ind.tableOf', { title })} tabIndex={0}>
              <table class="supply-table ind-table" data-testid="ind-table">
                <thead>
                  <tr>
                    <th scope="col">{t('ind.col.period')}</th>
                    {ind.groups.map((g) => (
                      <th scope="col" key={g}>
                        {columnLabel(t, g)}
                      </th>
                    ))}
                    {ind.measures.map((m) => (
                      <th scope="col" class="num" key={m.name} title={m.description}>
                        {columnLabel(t, m.name)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.period}-${ind.groups.map((g) => r.group[g]).join('-')}`} data-testid="ind-row" data-period={r.period} {...groupData(r.group)}>
                      <th scope="row">{r.period}</th>
                      {ind.groups.map((g) => (
                        <td key={g}>{groupValueLabel(t, g, r.group[g] ?? '')}</td>
                      ))}
                      {ind.measures.map((m) => (
                        <td class="num" key={m.name} data-measure={m.name} data-testid="ind-cell">
                          {cellText(m, r.values, lang)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <aside class="ind-definition" aria-label={t('ind.definition')} data-testid="ind-definition">
          <h3>{t('ind.definition')}</h3>
          <p lang="en">{definition.definition}</p>
          <details>
            <summary>{t('ind.common')}</summary>
            <p lang="en">{definition.common}</p>
          </details>
        </aside>
      </div>
    </section>
  );
}

/** The row's groups as data attributes (data-group-program=...), for finding a row by its group. */
function groupData(group: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(group).map(([k, v]) => [`data-group-${k.replace(/_/g, '-')}`, v]));
}
