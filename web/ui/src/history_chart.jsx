// A chart of the daemon's history: uPlot over { times, series: [{ label, avg, min, max }] },
// with a min–max band under each mean line, drag across to zoom (onZoom(fromMs, toMs)) and a
// click to ask what ran at that time (onPick(ms)). Gaps (nulls) stay gaps.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { palette } from './chart.jsx';

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const pad = (n) => String(n).padStart(2, '0');

// Labels sized to the span: seconds within a few minutes, dates beyond a day.
export function timeLabel(t, span) {
  const d = new Date(t * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span <= 300) return `${hm}:${pad(d.getSeconds())}`;
  if (span <= 86400 * 1.5) return hm;
  const md = `${d.toLocaleString([], { month: 'short' })} ${d.getDate()}`;
  return span <= 86400 * 8 ? `${md} ${hm}` : md;
}

// The width an axis needs for its widest label (so "128 MiB/s" is never cut to "28 MiB/s").
function axisSize(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let widest = 0;
  if (values) {
    u.ctx.font = axis.font?.[0] ?? '12px system-ui';
    for (const v of values) widest = Math.max(widest, u.ctx.measureText(v).width);
  }
  return Math.ceil(widest / devicePixelRatio) + 18;
}

export function HistoryChart({ data, format, height = 220, label, theme, onZoom, onPick, binary = false }) {
  const box = useRef(null);
  useEffect(() => {
    const element = box.current;
    if (!element || !data) return undefined;
    const axisColor = cssVar('--fg-muted');
    const gridColor = cssVar('--grid');
    const columns = [data.times];
    const series = [{ value: (u, v) => (v == null ? '' : new Date(v * 1000).toLocaleString([], { hourCycle: 'h23' })) }];
    const bands = [];
    data.series.forEach((s, i) => {
      const color = palette[i % palette.length];
      const avgIdx = columns.length;
      columns.push(s.avg, s.max, s.min);
      series.push(
        { label: s.label, stroke: color, width: 1.5, spanGaps: false, points: { show: false }, value: (u, v) => format(v) },
        { label: `${s.label} max`, stroke: withAlpha(color, 0.35), width: 0.5, spanGaps: false, points: { show: false }, value: (u, v) => format(v) },
        { label: `${s.label} min`, stroke: withAlpha(color, 0.35), width: 0.5, spanGaps: false, points: { show: false }, value: (u, v) => format(v) },
      );
      bands.push({ series: [avgIdx + 1, avgIdx + 2], fill: withAlpha(color, 0.14) });
    });
    let dragged = false;
    const opts = {
      width: Math.max(240, element.clientWidth),
      height,
      pxAlign: 0,
      bands,
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
      select: { show: true },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(max ?? 1, 1e-9)] } },
      axes: [
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          space: 80,
          values: (u, splits) => splits.map((t) => timeLabel(t, u.scales.x.max - u.scales.x.min)),
        },
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor, width: 1 },
          size: axisSize,
          ...(binary ? { incrs: (() => { const out = []; for (let unit = 1; unit <= 2 ** 60; unit *= 1024) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) out.push(m * unit); return out; })() } : {}),
          values: (u, splits) => splits.map((v) => format(v)),
        },
      ],
      series,
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            dragged = true;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
            if (onZoom) onZoom(Math.round(from * 1000), Math.round(to * 1000));
          },
        ],
      },
    };
    const u = new uPlot(opts, columns, element);
    element.dataset.points = String(data.times.length);
    // Between hovers the legend shows the newest values, not dashes.
    let newest = -1;
    for (let i = data.times.length - 1; i >= 0 && newest < 0; i--) if (data.series.some((s) => s.avg[i] != null)) newest = i;
    const showNewest = () => {
      if (newest >= 0 && (u.cursor.left == null || u.cursor.left < 0)) u.setLegend({ idx: newest }, false);
    };
    showNewest();
    u.over.addEventListener('mouseleave', showNewest);
    const click = (e) => {
      if (dragged) {
        dragged = false;
        return;
      }
      const idx = u.cursor.idx ?? u.posToIdx(e.clientX - u.over.getBoundingClientRect().left);
      if (idx != null && onPick) onPick(Math.round(data.times[idx] * 1000));
    };
    u.over.addEventListener('click', click);
    const resize = new ResizeObserver(() => {
      const width = Math.max(240, element.clientWidth);
      if (width !== u.width) u.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('click', click);
      u.over.removeEventListener('mouseleave', showNewest);
      u.destroy();
    };
  }, [data, theme, height]);
  return <div class="chart history-chart" ref={box} role="img" aria-label={label} data-chart={label} />;
}
