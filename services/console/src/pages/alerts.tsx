// The alert queue: filters and sort in the URL, multi-select with bulk triage, keyboard triage (j/k, Enter, a, r,
// f, s, x, ?), and live refresh every few seconds that keeps the selection, the cursor and the focus.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, errorText } from '../api.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { Dialog } from '../components/dialog.tsx';
import { KeysHelp } from '../components/keys-help.tsx';
import { matchFromAlert, SuppressForm } from '../components/suppress-form.tsx';
import { agentPath, alertPath, relative, STATUS_LABELS, when } from '../format.ts';
import { useLoad, useTitle } from '../hooks.ts';
import {
  alertsApiQuery,
  CATEGORY_OPTIONS,
  parseQueueQuery,
  type QueueFilters,
  queueQueryString,
  RANGE_OPTIONS,
  SEVERITY_OPTIONS,
  SORT_OPTIONS,
  STATUS_OPTIONS,
} from '../queue-query.ts';
import { useCan } from '../session.ts';
import type { Alert, AlertPage, AlertStatus } from '../types.ts';

/** How often the queue refreshes itself. */
const POLL_MS = 4000;

const TRIAGE_KEYS: Record<string, AlertStatus> = { a: 'acknowledged', r: 'resolved', f: 'false_positive' };

const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.closest('dialog') !== null);

export function AlertsPage() {
  useTitle('Alert queue');
  const { url, route } = useLocation();
  const search = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  const filters = useMemo(() => parseQueueQuery(search), [search]);
  const key = queueQueryString(filters);
  const canTriage = useCan('triage');
  const canSuppress = useCan('suppress');

  const page = useLoad((signal) => api<AlertPage>('/v1/alerts', { query: alertsApiQuery(filters, Date.now()), signal }), [key], POLL_MS);
  const alerts = page.data?.alerts ?? [];

  const [cursor, setCursor] = useState<{ id: string | null; index: number }>({ id: null, index: 0 });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [help, setHelp] = useState(false);
  const [suppressFor, setSuppressFor] = useState<Alert | null>(null);
  const [notice, setNotice] = useState<string>('');
  const [problem, setProblem] = useState<string | null>(null);
  const refocus = useRef(false);
  const table = useRef<HTMLTableElement>(null);

  // The cursor follows its alert across refreshes; when that alert left the queue, the one now at its place.
  const index = useMemo(() => {
    if (alerts.length === 0) return -1;
    const i = cursor.id ? alerts.findIndex((a) => a.alert_id === cursor.id) : -1;
    return i >= 0 ? i : Math.min(cursor.index, alerts.length - 1);
  }, [alerts, cursor]);
  const current = index >= 0 ? alerts[index] : undefined;

  const focusRow = (id: string | undefined) => {
    if (!id) return;
    table.current?.querySelector<HTMLElement>(`tr[data-alert-id="${CSS.escape(id)}"]`)?.focus();
  };
  useEffect(() => {
    if (refocus.current && current) {
      refocus.current = false;
      focusRow(current.alert_id);
    }
  });

  const move = (to: number) => {
    const a = alerts[Math.max(0, Math.min(alerts.length - 1, to))];
    if (!a) return;
    setCursor({ id: a.alert_id, index: alerts.indexOf(a) });
    focusRow(a.alert_id);
  };

  /** Alerts that leave the view after a status change (the filter no longer shows them) are dropped at once. */
  const dropLeaving = (ids: readonly string[], status: AlertStatus) => {
    if (filters.status.includes(status) || filters.status.includes('any')) return;
    const gone = new Set(ids);
    page.set((old) => (old ? { ...old, alerts: old.alerts.filter((a) => !gone.has(a.alert_id)) } : old));
  };

  const triage = async (alert: Alert, status: AlertStatus) => {
    setProblem(null);
    try {
      await api(`/v1/alerts/${encodeURIComponent(alert.alert_id)}/status`, { method: 'POST', body: { status } });
      setNotice(`${STATUS_LABELS[status]}: ${alert.title}`);
      const wasFocused = table.current?.contains(document.activeElement) ?? false;
      setCursor({ id: null, index });
      refocus.current = wasFocused;
      dropLeaving([alert.alert_id], status);
      void page.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };

  const bulk = async (status: AlertStatus) => {
    const ids = [...selected];
    if (ids.length === 0) return;
    setProblem(null);
    try {
      const r = await api<{ updated: string[]; not_found: string[] }>('/v1/alerts/bulk', { method: 'POST', body: { alert_ids: ids, status } });
      setNotice(
        `${r.updated.length} alert${r.updated.length === 1 ? '' : 's'} set to ${STATUS_LABELS[status]}${r.not_found.length ? `; ${r.not_found.length} not found` : ''}`,
      );
      setSelected(new Set());
      dropLeaving(r.updated, status);
      void page.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  // Keyboard triage, page-wide but never while typing in a field or with a dialog open.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || help || suppressFor) return;
      const k = e.key;
      if (k === '?') {
        e.preventDefault();
        setHelp(true);
        return;
      }
      if (k === 'j' || k === 'k') {
        e.preventDefault();
        move(k === 'j' ? index + 1 : index - 1);
        return;
      }
      if (!current) return;
      const onControl = e.target instanceof HTMLElement && ['A', 'BUTTON'].includes(e.target.tagName);
      if (k === 'Enter' && !onControl) {
        e.preventDefault();
        route(alertPath(current.alert_id));
      } else if (k === 'x' && canTriage) {
        e.preventDefault();
        toggle(current.alert_id);
      } else if (k === 's' && canSuppress) {
        e.preventDefault();
        setSuppressFor(current);
      } else if (canTriage && TRIAGE_KEYS[k]) {
        e.preventDefault();
        void triage(current, TRIAGE_KEYS[k]);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  const allShown = alerts.length > 0 && alerts.every((a) => selected.has(a.alert_id));

  return (
    <section aria-labelledby="queue-title">
      <div class="page-head">
        <h1 id="queue-title">Alert queue</h1>
        <button type="button" class="link-button" onClick={() => setHelp(true)} aria-keyshortcuts="?">
          Keyboard shortcuts (?)
        </button>
      </div>
      <FilterForm filters={filters} onApply={(f) => route(`/alerts${queueQueryString({ ...f, cursor: '' })}`)} />
      <p role="status" class="notice" data-testid="notice">
        {notice}
      </p>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {page.error && (
        <p role="alert" class="error">
          Could not load alerts: {page.error}
        </p>
      )}
      {canTriage && selected.size > 0 && (
        <section class="bulk" aria-label="Bulk triage" data-testid="bulk-bar">
          <span>{selected.size} selected</span>
          <button type="button" onClick={() => bulk('acknowledged')}>
            Acknowledge selected
          </button>
          <button type="button" onClick={() => bulk('resolved')}>
            Resolve selected
          </button>
          <button type="button" onClick={() => bulk('false_positive')}>
            False positive selected
          </button>
          <button type="button" class="secondary" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </section>
      )}
      {page.data === undefined && !page.error ? (
        <p class="loading">Loading alerts…</p>
      ) : alerts.length === 0 ? (
        <p data-testid="queue-empty">No alerts match these filters.</p>
      ) : (
        <table ref={table} class="queue" aria-label="Alerts" data-testid="alert-queue">
          <thead>
            <tr>
              {canTriage && (
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every alert shown"
                    checked={allShown}
                    onChange={() => setSelected(allShown ? new Set() : new Set(alerts.map((a) => a.alert_id)))}
                  />
                </th>
              )}
              <th scope="col">Severity</th>
              <th scope="col">Alert</th>
              <th scope="col">Agent</th>
              <th scope="col">Owner</th>
              <th scope="col">Status</th>
              <th scope="col">Assignee</th>
              <th scope="col">Risk</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a, i) => (
              <tr
                key={a.alert_id}
                data-alert-id={a.alert_id}
                data-testid="alert-row"
                tabIndex={i === index ? 0 : -1}
                aria-current={i === index ? 'true' : undefined}
                class={i === index ? 'cursor' : undefined}
                onFocus={() => i !== index && setCursor({ id: a.alert_id, index: i })}
              >
                {canTriage && (
                  <td>
                    <input type="checkbox" aria-label={`Select ${a.title}`} checked={selected.has(a.alert_id)} onChange={() => toggle(a.alert_id)} />
                  </td>
                )}
                <td>
                  <SeverityBadge severity={a.severity} />
                </td>
                <td>
                  <a href={alertPath(a.alert_id)} tabIndex={-1}>
                    {a.title}
                  </a>
                  <div class="sub">{a.rule_id}</div>
                </td>
                <td>
                  <a href={agentPath(a.agent_id)} tabIndex={-1}>
                    {a.agent_id}
                  </a>
                </td>
                <td>{a.owner ?? '—'}</td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td>{a.assignee ?? '—'}</td>
                <td>{a.risk_score}</td>
                <td>
                  <time dateTime={a.last_seen} title={when(a.last_seen)}>
                    {relative(a.last_seen)}
                  </time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {filters.cursor && <a href={`/alerts${queueQueryString({ ...filters, cursor: '' })}`}>First page</a>}
        {page.data?.next_cursor && <a href={`/alerts${queueQueryString({ ...filters, cursor: page.data.next_cursor })}`}>Next page</a>}
      </nav>
      {help && <KeysHelp onClose={() => setHelp(false)} />}
      {suppressFor && (
        <Dialog title="Suppress alerts like this one" onClose={() => setSuppressFor(null)} testId="suppress-dialog">
          <SuppressForm
            initial={matchFromAlert(suppressFor)}
            onCreated={(s) => {
              setSuppressFor(null);
              setNotice(`Suppression ${s.id} created`);
            }}
          />
          <form method="dialog">
            <button type="submit" class="secondary">
              Cancel
            </button>
          </form>
        </Dialog>
      )}
    </section>
  );
}

function FilterForm({ filters, onApply }: { filters: QueueFilters; onApply: (f: QueueFilters) => void }) {
  const [f, setF] = useState(filters);
  // Tags are typed as one comma-separated text and split when the filters are applied.
  const [tagText, setTagText] = useState(filters.tag.join(', '));
  useEffect(() => {
    setF(filters);
    setTagText(filters.tag.join(', '));
  }, [filters]);
  const text = (k: 'q' | 'agent_id' | 'owner' | 'assignee', label: string) => (
    <div class="field">
      <label for={`f-${k}`}>{label}</label>
      <input id={`f-${k}`} name={k} value={f[k]} onInput={(e) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })} />
    </div>
  );
  const toggleStatus = (s: string) => setF({ ...f, status: f.status.includes(s) ? f.status.filter((x) => x !== s) : [...f.status, s] });
  return (
    <form
      class="filters"
      aria-label="Filter alerts"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({
          ...f,
          tag: tagText
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        });
      }}
    >
      {text('q', 'Search title and summary')}
      <div class="field">
        <label for="f-severity">Severity at least</label>
        <select id="f-severity" value={f.severity} onChange={(e) => setF({ ...f, severity: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>
          {SEVERITY_OPTIONS.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="statuses">
        <legend>Status</legend>
        {STATUS_OPTIONS.map((s) => (
          <label key={s}>
            <input type="checkbox" name="status" value={s} checked={f.status.includes(s)} onChange={() => toggleStatus(s)} /> {STATUS_LABELS[s]}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="f-category">Category</label>
        <select id="f-category" value={f.category} onChange={(e) => setF({ ...f, category: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>
          {CATEGORY_OPTIONS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      {text('agent_id', 'Agent id')}
      {text('owner', 'Owner')}
      {text('assignee', 'Assignee (none: unassigned)')}
      <div class="field">
        <label for="f-tag">Tags (comma-separated, all must match)</label>
        <input id="f-tag" name="tag" value={tagText} onInput={(e) => setTagText((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="f-range">Time range</label>
        <select id="f-range" value={f.range} onChange={(e) => setF({ ...f, range: (e.target as HTMLSelectElement).value })}>
          {RANGE_OPTIONS.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-sort">Sort</label>
        <select id="f-sort" value={f.sort} onChange={(e) => setF({ ...f, sort: (e.target as HTMLSelectElement).value })}>
          {SORT_OPTIONS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div class="actions">
        <button type="submit">Apply filters</button>
        <a href="/alerts">Reset</a>
      </div>
    </form>
  );
}
