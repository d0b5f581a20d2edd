import { Dialog } from './dialog.tsx';

/** The queue's keyboard map (also in the README's Console section). */
export const QUEUE_KEYS: Array<[string, string]> = [
  ['j / k', 'move down / up the queue'],
  ['x', 'select or unselect the alert for bulk triage'],
  ['Enter', 'open the alert'],
  ['a', 'acknowledge'],
  ['r', 'resolve'],
  ['f', 'mark as false positive'],
  ['s', 'suppress: a suppression form prefilled from the alert'],
  ['?', 'show these keys'],
];

export function KeysHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} testId="keys-help">
      <dl class="keys">
        {QUEUE_KEYS.map(([k, what]) => (
          <div key={k}>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <p class="help">Triage keys need the analyst role; suppress needs engineer. Keys are ignored while typing in a field.</p>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </Dialog>
  );
}
