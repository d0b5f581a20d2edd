import { STATUS_LABELS } from '../format.ts';

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge st-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}
