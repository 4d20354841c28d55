/**
 * One indicator's chart over the periods, drawn by uPlot (bundled with the app, no outside
 * request): a line per group, gaps where a value is suppressed or missing, and a legend of our
 * own (translated, readable by a screen reader; the table beside it holds every number).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './view';

/** Distinct on light and dark backgrounds, and apart for the common colour blindnesses (Okabe-Ito). */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];
/** Tall enough to read a trend, short enough for two indicators on a desk screen. */
const HEIGHT_PX = 220;
/** The width when the container has none yet (laid out later): a third of a desk screen. */
const FALLBACK_WIDTH_PX = 480;

export const colourOf = (i: number): string => COLOURS[i % COLOURS.length]!;

export interface ChartProps {
  xs: number[];
  series: Series[];
  labels: string[];
  /** What the chart shows, for a screen reader (the figures are in the table). */
  summary: string;
  testId: string;
}

export function Chart({ xs, series, labels, summary, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    const plot = new uPlot(
      {
        width: el.clientWidth || FALLBACK_WIDTH_PX,
        height: HEIGHT_PX,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor' }],
        series: [{}, ...series.map((_, i) => ({ label: labels[i], stroke: colourOf(i), width: 2, points: { show: true } }))],
      },
      [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [xs, series, labels]);
  return (
    <figure class="ind-chart" data-testid={testId}>
      <div ref={box} role="img" aria-label={summary} data-series={series.length} />
      <figcaption>
        <ul class="ind-legend">
          {labels.map((label, i) => (
            <li key={label}>
              <span class="ind-swatch" style={{ background: colourOf(i) }} aria-hidden="true" />
              {label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
