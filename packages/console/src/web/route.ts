// The console's pages live in the URL's fragment (#/fleet, #/pods/NS/NAME), so the server
// serves one index.html and a reload or a shared link opens the same page.
export type Route =
  | { readonly page: 'fleet' }
  | { readonly page: 'workloads'; readonly namespace: string }
  | { readonly page: 'events' }
  | { readonly page: 'pod'; readonly namespace: string; readonly name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'workloads': return { page: 'workloads', namespace: parts[1] ?? '' };
    case 'events': return { page: 'events' };
    case 'pods':
      if (parts[1] && parts[2]) return { page: 'pod', namespace: parts[1], name: parts[2] };
      return { page: 'fleet' };
    default: return { page: 'fleet' };
  }
}

export function href(r: Route): string {
  switch (r.page) {
    case 'fleet': return '#/fleet';
    case 'workloads': return r.namespace ? `#/workloads/${encodeURIComponent(r.namespace)}` : '#/workloads';
    case 'events': return '#/events';
    case 'pod': return `#/pods/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`;
  }
}

export function podHref(namespace: string | undefined, name: string | undefined): string {
  return href({ page: 'pod', namespace: namespace ?? 'default', name: name ?? '' });
}
