// The user's bearer token, kept for this tab only (sessionStorage: gone when the tab closes,
// never sent anywhere but the API's Authorization header). `tctl console` prints a sign-in
// link carrying the token in the URL's fragment, which browsers never send to a server; the
// page moves it to sessionStorage and removes it from the address bar and history.
const KEY = 'tugboat.console.token';

/** The token in a `#token=…` fragment (and the fragment without it), or undefined. Pure. */
export function tokenFromFragment(hash: string): { token: string; rest: string } | undefined {
  const m = /^#?(?:.*&)?token=([^&]+)(?:&(.*))?$/.exec(hash);
  if (!m?.[1]) return undefined;
  const token = decodeURIComponent(m[1]).trim();
  return token ? { token, rest: m[2] ? `#${m[2]}` : '' } : undefined;
}

type Listener = (token: string | undefined, why?: string) => void;
const listeners = new Set<Listener>();

export const session = {
  token(): string | undefined {
    return sessionStorage.getItem(KEY) ?? undefined;
  },
  signIn(token: string): void {
    sessionStorage.setItem(KEY, token.trim());
    for (const l of listeners) l(token.trim());
  },
  /** `why` is shown on the login screen (a refused or expired token). */
  signOut(why?: string): void {
    sessionStorage.removeItem(KEY);
    for (const l of listeners) l(undefined, why);
  },
  onChange(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  /** Takes a token from the address bar's fragment, once, at start. */
  adoptFragmentToken(): void {
    const found = tokenFromFragment(location.hash);
    if (!found) return;
    sessionStorage.setItem(KEY, found.token);
    history.replaceState(null, '', `${location.pathname}${location.search}${found.rest || '#/fleet'}`);
  },
};
