/** Resource search: the need's words and a language, measured from a referred person's call (its premise) within a radius; nearest first. */
import { useState } from 'preact/hooks';
import { care, type CareResource, type ResourceQuery } from '../../api/care';
import { useT } from '../../i18n';
import { api, FieldMessage, Problem, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import type { TabProps } from './view';
import { distance, MAX_RADIUS_KM, radiusKm } from './view';

// The radius offered first: a city and its edges (the server's own default).
const DEFAULT_RADIUS_KM = '25';

export function Resources({ acts }: TabProps) {
  const t = useT();
  const referrals = useLoad((c) => care.referrals(c), []);
  const calls = [...new Map((referrals.data ?? []).map((r) => [r.call_id, r.cad_number])).entries()];
  const [need, setNeed] = useState('');
  const [language, setLanguage] = useState('');
  const [callId, setCallId] = useState('');
  const [radius, setRadius] = useState(DEFAULT_RADIUS_KM);
  const [found, setFound] = useState<CareResource[] | null>(null);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [searchedFrom, setSearchedFrom] = useState('');
  const km = radiusKm(radius);
  const search = async (e: Event) => {
    e.preventDefault();
    if (callId && km === null) return;
    const query: ResourceQuery = { need, language, ...(callId ? { callId, radiusKm: km ?? undefined } : {}) };
    try {
      setFound(await care.resources(api(), query));
      setSearchedFrom(callId);
      setProblem(null);
    } catch (err) {
      setProblem(failure(err));
    }
  };
  return (
    <div data-testid="care-resources">
      <form class="supply-form" onSubmit={(e) => void search(e)} noValidate>
        <div class="supply-field">
          <label for="care-need">{t('care.need')}</label>
          <input id="care-need" data-testid="resource-need" type="search" value={need} onInput={(e) => setNeed(e.currentTarget.value)} />
        </div>
        <div class="supply-field">
          <label for="care-language">{t('care.language')}</label>
          <input id="care-language" data-testid="resource-language" type="search" value={language} onInput={(e) => setLanguage(e.currentTarget.value)} />
        </div>
        <div class="supply-field">
          <label for="care-from">{t('care.from')}</label>
          <select id="care-from" data-testid="resource-from" value={callId} onChange={(e) => setCallId(e.currentTarget.value)}>
            <option value="">{t('care.fromAnywhere')}</option>
            {calls.map(([id, number]) => (
              <option key={id} value={id}>
                {t('care.fromCall', { call: number })}
              </option>
            ))}
          </select>
        </div>
        {callId && (
          <div class="supply-field">
            <label for="care-radius">{t('care.radius')}</label>
            <input
              id="care-radius"
              data-testid="resource-radius"
              type="number"
              min={1}
              max={MAX_RADIUS_KM}
              inputMode="numeric"
              aria-invalid={km === null ? true : undefined}
              value={radius}
              onInput={(e) => setRadius(e.currentTarget.value)}
            />
            <FieldMessage text={km === null ? t('care.radiusInvalid', { max: MAX_RADIUS_KM }) : null} testId="error-radius_km" />
          </div>
        )}
        <button type="submit" class="btn btn-primary" data-testid="resource-search">
          {t('care.search')}
        </button>
      </form>
      <Problem problem={problem} testId="care-problem" />
      {found && found.length === 0 && <p class="empty">{t('care.noResources')}</p>}
      <ul class="plain supply-cards">
        {(found ?? []).map((r) => (
          <ResourceItem key={r.id} resource={r} referFrom={acts && searchedFrom ? searchedFrom : null} need={need.trim() || null} onReferred={referrals.reload} />
        ))}
      </ul>
    </div>
  );
}

function ResourceItem({ resource, referFrom, need, onReferred }: { resource: CareResource; referFrom: string | null; need: string | null; onReferred: () => void }) {
  const t = useT();
  const away = distance(resource.distance_m);
  const [referred, setReferred] = useState(false);
  const [problem, setProblem] = useState<Failure | null>(null);
  const refer = async () => {
    if (!referFrom) return;
    try {
      await care.refer(api(), referFrom, resource.id, need);
      setReferred(true);
      setProblem(null);
      onReferred();
    } catch (err) {
      setProblem(failure(err));
    }
  };
  return (
    <li class="card" data-testid="resource" data-resource-id={resource.id}>
      <div class="row">
        <strong>{resource.name}</strong>
        {away && (
          <span class="pill pill-tiny" data-testid="resource-distance">
            {t(away.key, { n: away.n })}
          </span>
        )}
      </div>
      {resource.organization && <p class="muted">{resource.organization}</p>}
      {resource.categories.length > 0 && <p data-testid="resource-categories">{resource.categories.join(' · ')}</p>}
      {resource.address && <p>{resource.address}</p>}
      {resource.phone && <p>{t('care.phone', { phone: resource.phone })}</p>}
      {resource.hours.length > 0 && (
        <ul class="plain" aria-label={t('care.hours')} data-testid="resource-hours">
          {resource.hours.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {resource.languages.length > 0 && <p data-testid="resource-languages">{t('care.languages', { languages: resource.languages.join(', ') })}</p>}
      {resource.description && <p class="muted">{resource.description}</p>}
      {referFrom && !referred && (
        <button type="button" class="btn" data-testid="resource-refer" onClick={() => void refer()}>
          {t('care.refer')}
        </button>
      )}
      {referred && (
        <p class="notice ok" role="status" data-testid="resource-referred">
          {t('care.referred')}
        </p>
      )}
      <Problem problem={problem} testId="resource-problem" />
    </li>
  );
}
