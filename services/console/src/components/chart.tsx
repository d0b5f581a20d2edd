// A uPlot chart (canvas) with an optional marked x value (the alert's hour) and a text summary for screen
// readers: uPlot's own legend is off, the figure's caption says what the chart shows.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  bars?: boolean;
}

export interface ChartProps {
  /** Caption shown under the chart and its accessible name. */
  caption: string;
  /** One line a screen reader gets instead of the picture (the figures that matter). */
  summary: string;
  x: number[];
  series: ChartSeries[];
  /** x values are Unix seconds (time axis) rather than plain numbers. */
  time?: boolean;
  /** Draw a vertical marker at this x value. */
  markX?: number | undefined;
  markLabel?: string;
  height?: number;
  testId?: string;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(320, Math.min(el.clientWidth || 640, 960));
    const markX = props.markX;
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 220,
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: props.time ?? false } },
      axes: [{ stroke: '#333' }, { stroke: '#333' }],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          points: { show: !s.bars && props.x.length <= 48 },
          ...(s.bars ? { fill: `${s.color}55`, paths: uPlot.paths.bars?.({ size: [0.7, 40] }) } : {}),
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            if (markX === undefined) return;
            const cx = u.valToPos(markX, 'x', true);
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#b00020';
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(cx, u.bbox.top);
            ctx.lineTo(cx, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
    const plot = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    return () => plot.destroy();
  }, [props.x, props.series, props.markX, props.time, props.height]);

  return (
    <figure class="chart" data-testid={props.testId}>
      <div ref={box} role="img" aria-label={`${props.caption}. ${props.summary}`} />
      <figcaption>
        {props.caption}
        {props.markLabel && (
          <>
            {' '}
            <span class="mark-key">{props.markLabel}</span>
          </>
        )}
        <span class="visually-hidden">. {props.summary}</span>
      </figcaption>
    </figure>
  );
}
