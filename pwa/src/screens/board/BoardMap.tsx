/**
 * The board's map, drawn from the server's own data only (never network tiles): the basemap's
 * streets and districts when there is one, else a latitude/longitude grid; premises as small dots
 * (hazards marked); units labelled by call sign and status; open backup requests ringed.
 */
import type { BackupRequest, BoardPremise, BoardUnit } from '../../api/board';
import { useT, type Key } from '../../i18n';
import { en } from '../../i18n/en';
import { boundsOf, degreeLabel, fit, geometryPath, geometryPoints, gridLines, gridStep, type Feature, type LatLon } from './projection';

const WIDTH = 800;
const HEIGHT = 500;
/** Labels this near a side are drawn towards the middle, so none is cut off at the edge. */
const LABEL_ROOM = 120;

function anchor(x: number): 'start' | 'middle' | 'end' {
  if (x > WIDTH - LABEL_ROOM) return 'end';
  return x < LABEL_ROOM ? 'start' : 'middle';
}

export function BoardMap({ units, premises, basemap, backups }: { units: readonly BoardUnit[]; premises: readonly BoardPremise[]; basemap: readonly Feature[]; backups: readonly BackupRequest[] }) {
  const t = useT();
  const placed = units.filter((u) => u.position);
  const asks = backups.filter((b) => b.position);
  const points: LatLon[] = [...placed.map((u) => u.position!), ...premises, ...asks.map((b) => b.position!), ...geometryPoints(basemap)];
  const bounds = boundsOf(points);
  if (!bounds) return <p class="empty" data-testid="board-map-empty">{t('board.noPositions')}</p>;
  const proj = fit(bounds, WIDTH, HEIGHT);
  const b = proj.bounds;
  const step = gridStep(Math.max(b.maxLat - b.minLat, b.maxLon - b.minLon));
  return (
    <svg class="board-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="board-map-title" data-testid="board-map" data-kind={basemap.length ? 'basemap' : 'grid'}>
      <title id="board-map-title">{t('board.mapTitle', { units: placed.length, backups: asks.length })}</title>
      <rect x={0} y={0} width={WIDTH} height={HEIGHT} class="map-bg" />
      {basemap.length > 0 ? (
        <g class="map-base">
          {basemap.map((f, i) => {
            const d = geometryPath(f.geometry, proj);
            return d ? <path key={i} d={d} class={f.geometry?.type.includes('Polygon') ? 'map-area' : 'map-street'} /> : null;
          })}
        </g>
      ) : (
        <g class="map-grid" data-testid="board-grid">
          {gridLines(b.minLat, b.maxLat, step).map((lat) => {
            const y = proj.project({ lat, lon: b.minLon })[1];
            return (
              <g key={`lat${lat}`}>
                <line x1={0} x2={WIDTH} y1={y} y2={y} />
                <text x={4} y={y - 3}>{degreeLabel(lat, step, 'lat')}</text>
              </g>
            );
          })}
          {gridLines(b.minLon, b.maxLon, step).map((lon) => {
            const x = proj.project({ lat: b.minLat, lon })[0];
            return (
              <g key={`lon${lon}`}>
                <line x1={x} x2={x} y1={0} y2={HEIGHT} />
                <text x={x + 3} y={HEIGHT - 4}>{degreeLabel(lon, step, 'lon')}</text>
              </g>
            );
          })}
        </g>
      )}
      <g class="map-premises">
        {premises.map((p) => {
          const [x, y] = proj.project(p);
          return p.hazards > 0 ? (
            <g key={p.id} class="premise hazard" data-testid="map-premise">
              <path d={`M${x} ${y - 6}L${x + 6} ${y + 5}L${x - 6} ${y + 5}Z`} />
              <title>{t('board.premiseHazards', { address: p.address, count: p.hazards })}</title>
            </g>
          ) : (
            <circle key={p.id} cx={x} cy={y} r={3} class="premise" data-testid="map-premise">
              <title>{p.address}</title>
            </circle>
          );
        })}
      </g>
      <g class="map-backups">
        {asks.map((r) => {
          const [x, y] = proj.project(r.position!);
          return (
            <g key={r.id} data-testid="map-backup" data-backup-id={r.id}>
              <circle cx={x} cy={y} r={16} class="backup-ring" />
              <text x={x} y={y - 20} text-anchor={anchor(x)} class="backup-label">
                {t('board.mapBackup', { unit: r.call_sign })}
              </text>
            </g>
          );
        })}
      </g>
      <g class="map-units">
        {placed.map((u) => {
          const [x, y] = proj.project(u.position!);
          return (
            <g key={u.unit_id} data-testid="map-unit" data-unit-id={u.unit_id}>
              <rect x={x - 5} y={y - 5} width={10} height={10} class="unit-mark" />
              <text x={anchor(x) === 'end' ? x - 9 : x + 9} y={y + 4} text-anchor={anchor(x) === 'end' ? 'end' : 'start'} class="unit-label">
                {u.call_sign} · {statusText(t, u.status)}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
  );
}

/** A unit's status in words: the call statuses and the board's own two. */
export function statusText(t: ReturnType<typeof useT>, status: string): string {
  if (status === 'available' || status === 'off_shift') return t(`board.status.${status}`);
  const key = `status.${status}`;
  return key in en ? t(key as Key) : status.replace(/_/g, ' ');
}
