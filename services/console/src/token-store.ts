// Where the signed-in token lives: sessionStorage only (gone when the tab closes; never in a URL, a cookie or
// localStorage, so it is not sent to the server except in the Authorization header the client adds).
const KEY = 'agentwatch.token';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function keepToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: nothing was kept
  }
}
