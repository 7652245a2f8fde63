// Small shared pieces: cards, usage bars, a sortable table that renders only the rows in view.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export function Card({ title, children, actions, class: cls = '', id }) {
  return (
    <section class={`card ${cls}`} data-widget={id}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      <div class="card-body">{children}</div>
    </section>
  );
}

// A horizontal bar: used/total, coloured by how full it is.
export function Meter({ value, max = 100, label, title }) {
  const p = max > 0 && value != null ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  const level = p >= 90 ? 'crit' : p >= 75 ? 'warn' : 'ok';
  return (
    <div class="meter" title={title} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(p)} aria-label={label}>
      <div class={`meter-fill ${level}`} style={{ width: `${p}%` }} />
    </div>
  );
}

export function Empty({ children }) {
  return <p class="empty">{children}</p>;
}

export function Waiting() {
  return <p class="empty">Waiting for data…</p>;
}

// --- sorting

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // missing values last, whichever the order
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function sortRows(rows, column, dir) {
  if (!column) return rows;
  const value = column.sort || ((r) => r[column.key]);
  const sign = dir === 'desc' ? -1 : 1;
  const keyed = rows.map((r, i) => [value(r), i, r]);
  keyed.sort((x, y) => {
    if (x[0] == null || y[0] == null) return compare(x[0], y[0]) || x[1] - y[1];
    return sign * compare(x[0], y[0]) || x[1] - y[1];
  });
  return keyed.map((k) => k[2]);
}

// Sort state {key, dir} remembered under `name`; clicking the sorted column flips its order,
// another column sorts by it in its natural order: `firstSort` if the column has one, else
// numbers largest first and text A to Z.
export function useSort(name, initial, columns) {
  const [sort, setSort] = useState(() => {
    try {
      const saved = JSON.parse(sessionStorage.getItem(`hyperion.sort.${name}`));
      if (saved && columns.some((c) => c.key === saved.key)) return saved;
    } catch {
      // fall through
    }
    return initial;
  });
  const toggle = (key) => {
    const column = columns.find((c) => c.key === key);
    const next = sort.key === key ? { key, dir: sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: column?.firstSort || (column?.numeric ? 'desc' : 'asc') };
    setSort(next);
    try {
      sessionStorage.setItem(`hyperion.sort.${name}`, JSON.stringify(next));
    } catch {
      // not remembered
    }
  };
  return [sort, toggle];
}

// --- the table

const ROW_HEIGHT = 28;
const OVERSCAN = 12;

// columns: [{ key, label, numeric, class, render(row), sort(row), title }]
// Rows beyond `virtualAfter` are windowed: only those in view (plus a margin) are in the DOM.
export function DataTable({ name, columns, rows, rowKey, sort, onSort, onRowClick, selected, maxHeight = '70vh', virtualAfter = 150, empty = 'Nothing to show' }) {
  const scroller = useRef(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const virtual = rows.length > virtualAfter;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return undefined;
    let frame = 0;
    const update = () => {
      frame = 0;
      setView({ top: el.scrollTop, height: el.clientHeight || 800 });
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = new ResizeObserver(onScroll);
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  let start = 0;
  let end = rows.length;
  if (virtual) {
    start = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
    end = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  }
  const slice = rows.slice(start, end);

  return (
    <div class="table-scroll" ref={scroller} style={{ maxHeight }} data-table={name}>
      <table class={`data ${onRowClick ? 'clickable' : ''}`}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort && sort.key === c.key;
              return (
                <th
                  key={c.key}
                  class={`${c.numeric ? 'num' : ''} ${c.class || ''}`}
                  aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                  title={c.title}
                >
                  {onSort && c.sortable !== false ? (
                    <button type="button" class="sort" data-sort={c.key} onClick={() => onSort(c.key)}>
                      {c.label}
                      <span class="sort-mark">{active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {virtual && start > 0 && <tr class="spacer" style={{ height: `${start * ROW_HEIGHT}px` }} />}
          {slice.map((row) => {
            const k = rowKey(row);
            return (
              <tr
                key={k}
                data-key={k}
                class={selected === k ? 'selected' : ''}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
                tabIndex={onRowClick ? 0 : undefined}
                onKeyDown={onRowClick ? (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onRowClick(row)) : undefined}
              >
                {columns.map((c) => (
                  <td key={c.key} class={`${c.numeric ? 'num' : ''} ${c.class || ''}`}>
                    {c.render ? c.render(row) : row[c.key]}
                  </td>
                ))}
              </tr>
            );
          })}
          {virtual && end < rows.length && <tr class="spacer" style={{ height: `${(rows.length - end) * ROW_HEIGHT}px` }} />}
        </tbody>
      </table>
      {rows.length === 0 && <Empty>{empty}</Empty>}
    </div>
  );
}

// Re-renders every `ms` (for clocks such as "uptime" between frames).
export function useTick(ms) {
  const [, set] = useState(0);
  useEffect(() => {
    const id = setInterval(() => set((n) => n + 1), ms);
    return () => clearInterval(id);
  }, [ms]);
}
