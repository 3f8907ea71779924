// A line/bar chart over uPlot (bundled; ~50 KB minified). Sized to its container, redrawn when
// the data change, destroyed with the component. uPlot draws on a canvas, so the figure carries
// a text summary for screen readers, and the numbers are in a table behind a disclosure.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS colour; the shared palette is used in order otherwise. */
  color?: string;
  /** Draws bars instead of a line. */
  bars?: boolean;
}

export interface ChartProps {
  title: string;
  /** x values: epoch seconds (uPlot's time scale). */
  x: number[];
  series: ChartSeries[];
  /** Formats a y value for the axis and the table (money, counts). */
  formatValue?: (value: number) => string;
  height?: number;
  /** Shown under the chart: what the reader should take from it. */
  summary?: ComponentChildren;
}

// Contrast ≥ 3:1 against white for graphical objects (WCAG 1.4.11).
export const PALETTE = ["#1d5fbf", "#b4420f", "#137a3a", "#7a3fb0", "#a3165a", "#4b5563"];

function options(props: ChartProps, width: number): uPlot.Options {
  const format = props.formatValue ?? ((v: number) => String(v));
  const bars = props.series.some((s) => s.bars);
  // Bars are centred on their x: half a step of room at each end keeps the first and last whole.
  const step = props.x.length > 1 ? (props.x[1] ?? 0) - (props.x[0] ?? 0) : 86_400;
  return {
    width,
    height: props.height ?? 240,
    legend: { show: true },
    ...(bars
      ? {
          scales: {
            x: { range: (_u, min, max): uPlot.Range.MinMax => [min - step / 2, max + step / 2] },
          },
        }
      : {}),
    cursor: { drag: { x: false, y: false } },
    axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
    series: [
      {},
      ...props.series.map((s, i) => {
        const stroke = s.color ?? PALETTE[i % PALETTE.length] ?? "#1d5fbf";
        return {
          label: s.label,
          stroke,
          width: 2,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : format(v)),
          ...(s.bars
            ? { fill: `${stroke}55`, paths: uPlot.paths.bars?.({ size: [0.6, 40] }) }
            : {}),
        };
      }),
    ],
  };
}

export function Chart(props: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  // Redraw when the numbers change, not whenever the caller makes new arrays of the same ones.
  const signature = JSON.stringify([props.x, props.series, props.height]);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const data = [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(options(props, element.clientWidth || 600), data, element);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: element.clientWidth || 600, height: props.height ?? 240 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [signature]);

  const format = props.formatValue ?? ((v: number) => String(v));
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={holder} class="chart-canvas" role="img" aria-label={props.title} />
      {props.summary ? <div class="chart-summary">{props.summary}</div> : null}
      <details>
        <summary>Show the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Date</th>
              {props.series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.x.map((x, row) => (
              <tr key={x}>
                <th scope="row">{new Date(x * 1000).toISOString().slice(0, 10)}</th>
                {props.series.map((s) => {
                  const v = s.values[row];
                  return <td key={s.label}>{v === null || v === undefined ? "–" : format(v)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
