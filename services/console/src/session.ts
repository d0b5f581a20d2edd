// The signed-in session (GET /v1/session) shared by every page: the role decides which actions are shown.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Action, can } from './roles.ts';
import type { Session } from './types.ts';

export interface SessionState {
  session: Session;
  signOut: () => void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in app');
  return s;
}

/** Whether the signed-in role may take `action` (controls it may not use are not rendered). */
export function useCan(action: Action): boolean {
  return can(useContext(SessionContext)?.session.role, action);
}
