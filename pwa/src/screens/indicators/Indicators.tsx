/**
 * The program lead's dashboard (supervisors read it too; online): every indicator the program
 * reports, each with its chart, its figures and its published definition, for the filters chosen
 * (program, period, date range, call type, area), and the CSV export of each; then the baseline
 * report of the historical CAD import.
 */
import { useState } from 'preact/hooks';
import { indicators } from '../../api/indicators';
import type { ScreenProps } from '../../app/areas';
import { useT } from '../../i18n';
import { Problem, useLoad } from '../supply/common';
import { BaselineSection } from './BaselineSection';
import { FilterForm } from './FilterForm';
import { IndicatorCard } from './IndicatorCard';
import { defaultFilters } from './view';

export default function Indicators(_props: ScreenProps) {
  const t = useT();
  const [filters, setFilters] = useState(() => defaultFilters(new Date()));
  const definitions = useLoad((c) => indicators.definitions(c), []);
  const callTypes = useLoad((c) => indicators.callTypes(c), []);
  const areas = useLoad((c) => indicators.areas(c), []);
  return (
    <section class="supply board indicators" data-testid="indicators">
      <header class="row board-head">
        <h1>{t('ind.title')}</h1>
      </header>
      <p class="ind-intro">{t('ind.intro')}</p>
      <FilterForm value={filters} choices={{ callTypes: callTypes.data ?? [], areas: areas.data ?? [] }} onApply={setFilters} />
      <Problem problem={definitions.problem} testId="ind-definitions-problem" />
      {definitions.data?.map((d) => (
        <IndicatorCard key={d.id} definition={d} filters={filters} />
      ))}
      <BaselineSection />
    </section>
  );
}
