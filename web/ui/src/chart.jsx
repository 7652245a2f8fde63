// A live time-series chart: uPlot over a History. Redraws at most once per animation frame
// (so a hidden tab does no drawing), follows its container's width, and between hovers shows
// the latest values in its legend.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';

export const palette = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#64748b'];

let firstChartMarked = false;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// The columns uPlot draws. Stacked: each series is the running sum up to it, drawn top first
// so that each area covers the ones above it; the legend still shows each series' own value.
function buildData(history, series, stacked) {
  const n = history.t.length;
  const empty = () => new Array(n).fill(null);
  const raw = series.map((s) => {
    const c = history.columns.get(s.key);
    if (!c) return empty();
    return s.scale ? c.map((v) => (v === null ? null : v * s.scale)) : c;
  });
  if (!stacked) return { plotted: [history.t, ...raw], raw };
  const sums = [];
  const acc = new Array(n).fill(0);
  for (const column of raw) {
    sums.push(column.map((v, i) => (v === null ? null : (acc[i] += v))));
  }
  return { plotted: [history.t, ...sums.reverse()], raw: [...raw].reverse() };
}

// Axis steps for byte values: 1, 2, 4, 8 ... of each binary unit, so ticks read 512 MiB, 1 GiB.
const binaryIncrements = [];
for (let unit = 1; unit <= 2 ** 60; unit *= 1024) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) binaryIncrements.push(m * unit);

const minSpanSeconds = 60;

// The last 15 minutes at most, at least a minute, ending at the newest sample: the line grows
// from the right as history accumulates.
function timeRange(u, min, max) {
  if (min == null || max == null) {
    const now = Date.now() / 1000;
    return [now - minSpanSeconds, now];
  }
  return [Math.min(min, max - minSpanSeconds), max];
}

// HH:MM:SS within a few minutes, HH:MM beyond, written out rather than left to the locale's
// formatter. The labels drawn are kept in data-xlabels (the canvas has no text to read).
const pad2 = (n) => String(n).padStart(2, '0');
function timeLabels(u, splits) {
  const span = u.scales.x.max - u.scales.x.min;
  const labels = splits.map((t) => {
    const d = new Date(t * 1000);
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return span <= 300 ? `${hm}:${pad2(d.getSeconds())}` : hm;
  });
  if (u.root.parentNode) u.root.parentNode.dataset.xlabels = labels.join('|');
  return labels;
}

export function TimeChart({ history, series, format, stacked = false, height = 170, range = null, theme, label, binary = false }) {
  const box = useRef(null);
  const plot = useRef(null);
  const ordered = stacked ? [...series].reverse() : series;
  const key = `${theme}|${stacked}|${series.map((s) => `${s.key}:${s.hidden ? 0 : 1}`).join(',')}`;

  useEffect(() => {
    const element = box.current;
    if (!element) return undefined;
    const axisColor = cssVar('--fg-muted');
    const gridColor = cssVar('--grid');
    let current = buildData(history, series, stacked);
    const valueOf = (si, i) => current.raw[si - 1]?.[i];
    const opts = {
      width: Math.max(200, element.clientWidth),
      height,
      pxAlign: 0,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: true, range: timeRange },
        y: range ? { range } : { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(max ?? 1, stacked ? 0 : 1e-9)] },
      },
      axes: [
        { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 }, space: 70, values: timeLabels },
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          size: 64,
          ...(binary ? { incrs: binaryIncrements } : {}),
          values: (u, splits) => splits.map((v) => format(v)),
        },
      ],
      series: [
        { value: (u, v) => (v == null ? '' : new Date(v * 1000).toLocaleTimeString([], { hourCycle: 'h23' })) },
        ...ordered.map((s, i) => {
          const color = s.color || palette[i % palette.length];
          return {
            label: s.label,
            show: !s.hidden,
            stroke: color,
            width: 1.5,
            fill: stacked ? color : s.fill ? withAlpha(color, 0.12) : undefined,
            spanGaps: false,
            points: { show: false },
            value: (u, v, si, idx) => (idx == null ? '–' : format(valueOf(si, idx))),
          };
        }),
      ],
      hooks: {
        draw: [
          (u) => {
            if (!firstChartMarked && u.data[0].length > 0) {
              firstChartMarked = true;
              performance.mark('hyperion:first-chart');
            }
          },
        ],
      },
    };
    const u = new uPlot(opts, current.plotted, element);
    plot.current = u;
    let frame = 0;
    const showLatest = () => {
      if (u.cursor.left == null || u.cursor.left < 0) {
        const last = u.data[0].length - 1;
        if (last >= 0) u.setLegend({ idx: last }, false);
      }
    };
    showLatest();
    // The number of samples drawn, for tests and for anyone inspecting the page.
    element.dataset.points = String(history.t.length);
    const redraw = () => {
      frame = 0;
      current = buildData(history, series, stacked);
      u.setData(current.plotted);
      element.dataset.points = String(history.t.length);
      showLatest();
    };
    const offChange = history.onChange(() => {
      if (!frame) frame = requestAnimationFrame(redraw);
    });
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, element.clientWidth);
      if (width !== u.width) u.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      offChange();
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
      u.destroy();
      plot.current = null;
    };
  }, [history, key, height]);

  return <div class="chart" ref={box} role="img" aria-label={label} data-chart={label} />;
}
