import { COMING, type ScreenProps } from '../app/areas';
import { useT } from '../i18n';

/** Placeholder for the areas later issues add (supplies, survey, dispatch, supervisor board...). */
export default function Coming({ param }: ScreenProps) {
  const t = useT();
  const area = COMING.find((c) => c.area === param);
  return (
    <section class="coming" data-testid="coming" data-area={param}>
      <h1>{area ? t(area.nav) : t('coming.title')}</h1>
      <div class="card">
        <p class="pill pill-tiny">{t('coming.title')}</p>
        <p>{t('coming.body')}</p>
      </div>
    </section>
  );
}
