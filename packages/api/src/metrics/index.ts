// The process and Node.js metrics every component serves, on its own registry: prom-client's
// defaults, except three gauges it names with a counter's `_total` suffix
// (nodejs_active_handles_total, _requests_total, _resources_total), which `promtool check
// metrics` rejects. Those are served as nodejs_active_*_all instead, with the same value
// (equal to `sum without (type) (nodejs_active_*)`). Imported as `@tugboat/api/metrics`, so
// tctl, which serves no metrics, never loads prom-client.
import { Gauge, collectDefaultMetrics, type Registry } from 'prom-client';

/** prom-client's misnamed gauge → the name it is served under. Pure data, for the docs and tests. */
export const RENAMED_DEFAULT_METRICS: Readonly<Record<string, string>> = {
  nodejs_active_handles_total: 'nodejs_active_handles_all',
  nodejs_active_requests_total: 'nodejs_active_requests_all',
  nodejs_active_resources_total: 'nodejs_active_resources_all',
};

/** prom-client's process and Node.js metrics, with the misnamed gauges renamed. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const [old, name] of Object.entries(RENAMED_DEFAULT_METRICS)) {
    const source = registry.getSingleMetric(old);
    // Not every Node.js has every one (process._getActiveHandles may go away).
    if (!source) continue;
    registry.removeSingleMetric(old);
    // The value is prom-client's own computation, read when scraped: no private Node.js API here.
    new Gauge({
      name,
      help: `Total number of ${name.split('_')[2]} of every type (prom-client's ${old}: a gauge must not end in _total).`,
      registers: [registry],
      async collect() {
        const { values } = await source.get();
        this.set(values[0]?.value ?? 0);
      },
    });
  }
}
