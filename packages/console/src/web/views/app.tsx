// The shell: the login screen until there is a token, then the navigation and the page the
// URL's fragment names. Signing out (or a 401 from any request) drops every watch.
import { useEffect, useState } from 'preact/hooks';
import { stopAllReflectors } from '../api/reflector.js';
import { href, parseRoute, type Route } from '../route.js';
import { session } from '../session.js';
import { EventsPage } from './events.js';
import { FleetPage } from './fleet.js';
import { Login } from './login.js';
import { PodPage } from './pod-page.js';
import { WorkloadsPage } from './workloads.js';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'fleet': return <FleetPage />;
    case 'workloads': return <WorkloadsPage namespace={route.namespace} />;
    case 'events': return <EventsPage />;
    case 'pod': return <PodPage key={`${route.namespace}/${route.name}`} namespace={route.namespace} name={route.name} />;
  }
}

export function App() {
  const [token, setToken] = useState(session.token());
  const [why, setWhy] = useState<string | undefined>(undefined);
  const route = useRoute();
  useEffect(() => session.onChange((t, reason) => {
    if (!t) stopAllReflectors();
    setToken(t);
    setWhy(reason);
  }), []);
  if (!token) return <Login message={why} />;
  const tab = (page: Route['page'], label: string, to: Route) => (
    <a class={route.page === page ? 'tab active' : 'tab'} href={href(to)} data-nav={page}>{label}</a>
  );
  return (
    <div class="shell">
      <header>
        <span class="brand">⚓ Tugboat</span>
        <nav>
          {tab('fleet', 'Fleet', { page: 'fleet' })}
          {tab('workloads', 'Workloads', { page: 'workloads', namespace: '' })}
          {tab('events', 'Events', { page: 'events' })}
        </nav>
        <button class="link" data-action="sign-out" onClick={() => session.signOut()}>Sign out</button>
      </header>
      <main><Page route={route} /></main>
    </div>
  );
}
