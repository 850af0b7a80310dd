import test from 'ava';
import { SchedulerMetrics } from './metrics.js';
import { serveComponentHttp } from '@tugboat/api';

test('metrics are served in Prometheus text on /metrics, with /healthz', async (t) => {
  const m = new SchedulerMetrics();
  m.setPendingSource(() => ({ active: 3, backoff: 1, unschedulable: 2, gated: 4 }));
  m.attempt('scheduled', 0.002);
  m.attempt('unschedulable', 0.004);
  m.binding(0.01);
  m.setLeader('tugboat-scheduler', true);
  const http = await serveComponentHttp({ listen: '127.0.0.1:0', metrics: m.registry });
  try {
    const text = await (await fetch(`http://${http.address}/metrics`)).text();
    t.regex(text, /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 1/);
    t.regex(text, /scheduler_schedule_attempts_total\{result="error",profile="default-scheduler"\} 0/);
    t.regex(text, /scheduler_scheduling_attempt_duration_seconds_count\{result="unschedulable",profile="default-scheduler"\} 1/);
    t.regex(text, /scheduler_pending_pods\{queue="active"\} 3/);
    t.regex(text, /scheduler_pending_pods\{queue="unschedulable"\} 2/);
    t.regex(text, /scheduler_pending_pods\{queue="gated"\} 4/);
    t.regex(text, /scheduler_binding_duration_seconds_count 1/);
    t.regex(text, /leader_election_master_status\{name="tugboat-scheduler"\} 1/);
    t.regex(text, /process_cpu_seconds_total/);
    const health = await fetch(`http://${http.address}/healthz`);
    t.is(health.status, 200);
    t.is((await fetch(`http://${http.address}/nope`)).status, 404);
  } finally {
    await http.close();
  }
});
