import { describe, expect, it } from 'vitest';
import { boundsOf, degreeLabel, fit, geometryPath, geometryPoints, gridLines, gridStep } from '../src/screens/board/projection';

describe('the board map projection', () => {
  it('fits every point inside the box, keeping the ground proportions at the middle latitude', () => {
    const pts = [
      { lat: 60, lon: 10 },
      { lat: 60.1, lon: 10.2 },
    ];
    const p = fit(boundsOf(pts)!, 400, 400);
    for (const pt of pts) {
      const [x, y] = p.project(pt);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(400);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(400);
    }
    const [x0, y0] = p.project({ lat: 60, lon: 10 });
    const [x1] = p.project({ lat: 60, lon: 10.1 });
    const [, y1] = p.project({ lat: 60.1, lon: 10 });
    // At 60°N a degree of longitude is half a degree of latitude on the ground.
    expect((x1 - x0) / (y0 - y1)).toBeCloseTo(0.5, 2);
  });

  it('puts north up', () => {
    const p = fit(boundsOf([{ lat: 0, lon: 0 }, { lat: 1, lon: 1 }])!, 100, 100);
    expect(p.project({ lat: 1, lon: 0 })[1]).toBeLessThan(p.project({ lat: 0, lon: 0 })[1]);
  });

  it('shows about a kilometre around a single point, centred', () => {
    const p = fit(boundsOf([{ lat: 40.4, lon: -3.7 }])!, 200, 100);
    const [x, y] = p.project({ lat: 40.4, lon: -3.7 });
    expect(x).toBeCloseTo(100, 5);
    expect(y).toBeCloseTo(50, 5);
    expect(p.bounds.maxLat - p.bounds.minLat).toBeGreaterThan(0.02);
  });

  it('has no bounds without points', () => {
    expect(boundsOf([])).toBeNull();
  });
});

describe('the coordinate grid', () => {
  it('chooses 1, 2 or 5 times a power of ten', () => {
    expect(gridStep(0.06)).toBeCloseTo(0.01, 10);
    expect(gridStep(0.1)).toBeCloseTo(0.02, 10);
    expect(gridStep(0.25)).toBeCloseTo(0.05, 10);
    expect(gridStep(3)).toBe(0.5);
    expect(gridStep(0)).toBe(1);
  });

  it('draws the multiples of the step within the span', () => {
    expect(gridLines(0.013, 0.061, 0.01)).toEqual([0.02, 0.03, 0.04, 0.05, 0.06]);
  });

  it('labels lines with the decimals the step needs and the hemisphere', () => {
    expect(degreeLabel(-3.7, 0.1, 'lon')).toBe('3.7°W');
    expect(degreeLabel(40.42, 0.02, 'lat')).toBe('40.42°N');
    expect(degreeLabel(-12, 5, 'lat')).toBe('12°S');
  });
});

describe('basemap GeoJSON paths', () => {
  const proj = fit({ minLat: 0, maxLat: 1, minLon: 0, maxLon: 1 }, 100, 100);
  it('draws a LineString open and a Polygon closed', () => {
    const line = geometryPath({ type: 'LineString', coordinates: [[0, 0], [1, 1]] }, proj);
    expect(line).toMatch(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+$/);
    const poly = geometryPath({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, proj);
    expect(poly.endsWith('Z')).toBe(true);
    expect(geometryPath({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1]]], [[[0, 0], [0, 1], [1, 1]]]] }, proj).match(/Z/g)).toHaveLength(2);
  });

  it('draws nothing for points or broken coordinates', () => {
    expect(geometryPath({ type: 'Point', coordinates: [0, 0] }, proj)).toBe('');
    expect(geometryPath({ type: 'LineString', coordinates: 'x' }, proj)).toBe('');
    expect(geometryPath({ type: 'LineString', coordinates: [[0, 0]] }, proj)).toBe('');
  });

  it('collects the coordinates of lines and polygons only', () => {
    const pts = geometryPoints([
      { geometry: { type: 'LineString', coordinates: [[1, 2], [3, 4]] } },
      { geometry: { type: 'Point', coordinates: [9, 9] } },
      { geometry: { type: 'Polygon', coordinates: [[[5, 6], [7, 8], [5, 6]]] } },
    ]);
    expect(pts).toEqual([
      { lon: 1, lat: 2 },
      { lon: 3, lat: 4 },
      { lon: 5, lat: 6 },
      { lon: 7, lat: 8 },
      { lon: 5, lat: 6 },
    ]);
  });
});
