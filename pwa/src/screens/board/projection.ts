/**
 * The board map's pure maths: an equirectangular projection (longitude scaled by the cosine of the
 * middle latitude, so a street grid keeps its shape) fitted to the points shown, the step of the
 * coordinate grid drawn without a basemap, and GeoJSON LineStrings / Polygons as SVG paths.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

export interface Bounds {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export interface Projection {
  width: number;
  height: number;
  bounds: Bounds;
  /** Screen x, y (y down) of a point. */
  project(p: LatLon): [number, number];
}

/** Half the span shown around a single point (or points all in one place), in degrees: about 1 km. */
export const MIN_HALF_SPAN_DEG = 0.01;
/** Room kept around the points, as a share of their span, so no marker sits on the edge. */
export const MARGIN = 0.08;

/** The smallest box holding every point; null for none. */
export function boundsOf(points: readonly LatLon[]): Bounds | null {
  const ok = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  if (ok.length === 0) return null;
  const lats = ok.map((p) => p.lat);
  const lons = ok.map((p) => p.lon);
  return { minLat: Math.min(...lats), maxLat: Math.max(...lats), minLon: Math.min(...lons), maxLon: Math.max(...lons) };
}

function widen(lo: number, hi: number): [number, number] {
  const half = Math.max((hi - lo) / 2, MIN_HALF_SPAN_DEG) * (1 + MARGIN);
  const mid = (lo + hi) / 2;
  return [mid - half, mid + half];
}

/**
 * Fits the bounds into a `width` x `height` box keeping the ground's proportions: one degree of
 * longitude is cos(middle latitude) of a degree of latitude; the spare room is split evenly.
 */
export function fit(b: Bounds, width: number, height: number): Projection {
  const [minLat, maxLat] = widen(b.minLat, b.maxLat);
  const [minLon, maxLon] = widen(b.minLon, b.maxLon);
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = (maxLon - minLon) * k;
  const spanY = maxLat - minLat;
  const scale = Math.min(width / spanX, height / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  // The box actually shown, wider one way than the points when the proportions differ.
  const shown: Bounds = {
    minLon: minLon - offX / scale / k,
    maxLon: maxLon + offX / scale / k,
    minLat: minLat - offY / scale,
    maxLat: maxLat + offY / scale,
  };
  return {
    width,
    height,
    bounds: shown,
    project: (p) => [offX + (p.lon - minLon) * k * scale, offY + (maxLat - p.lat) * scale],
  };
}

/** A grid step of 1, 2 or 5 times a power of ten, giving at most `maxLines` lines over `span` degrees. */
export function gridStep(span: number, maxLines = 6): number {
  if (!(span > 0)) return 1;
  const raw = span / maxLines;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** The multiples of `step` within [lo, hi]. */
export function gridLines(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/** A grid line's label: as many decimals as the step needs, with N/S or E/W. */
export function degreeLabel(value: number, step: number, axis: 'lat' | 'lon'): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const hemi = axis === 'lat' ? (value < 0 ? 'S' : 'N') : value < 0 ? 'W' : 'E';
  return `${Math.abs(value).toFixed(decimals)}°${hemi}`;
}

type Ring = readonly (readonly number[])[];
export interface Geometry {
  type: string;
  coordinates?: unknown;
}
export interface Feature {
  type?: string;
  geometry?: Geometry | null;
  properties?: Record<string, unknown> | null;
}

function ringPath(ring: Ring, proj: Projection, close: boolean): string {
  const pts = ring.filter((c) => c.length >= 2 && Number.isFinite(c[0]) && Number.isFinite(c[1]));
  if (pts.length < 2) return '';
  const d = pts.map((c, i) => {
    const [x, y] = proj.project({ lon: c[0]!, lat: c[1]! });
    return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
  });
  return d.join('') + (close ? 'Z' : '');
}

/** The SVG path of a LineString, MultiLineString, Polygon or MultiPolygon ('' for any other geometry). */
export function geometryPath(g: Geometry | null | undefined, proj: Projection): string {
  if (!g || !Array.isArray(g.coordinates)) return '';
  const c = g.coordinates as unknown[];
  const rings = (list: unknown[], close: boolean) => list.map((r) => (Array.isArray(r) ? ringPath(r as Ring, proj, close) : '')).join('');
  switch (g.type) {
    case 'LineString':
      return ringPath(c as Ring, proj, false);
    case 'MultiLineString':
      return rings(c, false);
    case 'Polygon':
      return rings(c, true);
    case 'MultiPolygon':
      return c.map((p) => (Array.isArray(p) ? rings(p, true) : '')).join('');
    default:
      return '';
  }
}

/** Every coordinate of a basemap's lines and polygons, for fitting the map to it. */
export function geometryPoints(features: readonly Feature[]): LatLon[] {
  const out: LatLon[] = [];
  const walk = (v: unknown) => {
    if (!Array.isArray(v)) return;
    if (typeof v[0] === 'number' && typeof v[1] === 'number') out.push({ lon: v[0], lat: v[1] });
    else v.forEach(walk);
  };
  for (const f of features) {
    const t = f.geometry?.type ?? '';
    if (/LineString|Polygon/.test(t)) walk(f.geometry?.coordinates);
  }
  return out;
}
