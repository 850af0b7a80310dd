// Sign-in with a bearer token, as Kubernetes Dashboard does: a ServiceAccount token the API
// server authenticates on every request. The page shows no cluster data before it.
import { useState } from 'preact/hooks';
import { session } from '../session.js';

export function Login({ message }: { message: string | undefined }) {
  const [token, setToken] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    if (token.trim()) session.signIn(token);
  };
  return (
    <div class="login" data-view="login">
      <h1>⚓ Tugboat console</h1>
      <p>Sign in with a bearer token. The console reads the cluster through the Kubernetes API
        with it, so it shows only what the token may read.</p>
      <p>On the machine running the cluster, <code>tctl console</code> prints a sign-in link with a
        fresh read-only token; or paste a token from <code>tctl create token SERVICE_ACCOUNT -n NAMESPACE</code>.</p>
      {message ? <p class="error" data-role="login-error">{message}</p> : null}
      <form onSubmit={submit}>
        <textarea name="token" rows={4} placeholder="eyJhbGciOi…" value={token} autocomplete="off" spellcheck={false}
          onInput={(e) => setToken((e.currentTarget as HTMLTextAreaElement).value)} />
        <button type="submit">Sign in</button>
      </form>
    </div>
  );
}
