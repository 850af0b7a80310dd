// `tctl rollout status|history|undo|restart|pause|resume deployment/NAME`, as kubectl's:
// status follows the rollout until it completes (or the timeout passes), undo puts an earlier
// revision's pod template back into the deployment.
import { qualifiedSingular, sleep, type DaemonSet, type Deployment, type KubeObject, type PodTemplateSpec, type ReplicaSet, type StatefulSet } from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand, defineGroup } from '../command.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { DescribeWriter } from '../printers/describe-writer.js';
import { renderTable } from '../printers/table.js';
import { isOwnedBy, singleTarget, updateWithRetry } from './util.js';

const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

type DeploymentObject = Deployment & KubeObject;
type ReplicaSetObject = ReplicaSet & KubeObject;

/** kubectl's rollout status text for a deployment, and whether it is done. Pure. */
export function deploymentRolloutStatus(d: Deployment): { message: string; done: boolean; error?: string } {
  const name = d.metadata?.name ?? '';
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) return { message: 'Waiting for deployment spec update to be observed...', done: false };
  const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { message: '', done: false, error: `deployment "${name}" exceeded its progress deadline` };
  const replicas = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  if (updated < replicas) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`, done: false };
  const total = st.replicas ?? 0;
  if (total > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`, done: false };
  const available = st.availableReplicas ?? 0;
  if (available < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

/** kubectl's DaemonSetStatusViewer: rollout status of a DaemonSet, and whether it is done. Pure. */
export function daemonSetRolloutStatus(ds: DaemonSet): { message: string; done: boolean; error?: string } {
  const name = ds.metadata?.name ?? '';
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') return { message: '', done: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  const st = ds.status;
  if ((ds.metadata?.generation ?? 0) > (st?.observedGeneration ?? 0)) return { message: 'Waiting for daemon set spec update to be observed...', done: false };
  const desired = st?.desiredNumberScheduled ?? 0;
  const updated = st?.updatedNumberScheduled ?? 0;
  if (updated < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false };
  const available = st?.numberAvailable ?? 0;
  if (available < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`, done: false };
  return { message: `daemon set "${name}" successfully rolled out`, done: true };
}

/** kubectl's StatefulSetStatusViewer: rollout status of a StatefulSet (partitions included), and whether it is done. Pure. */
export function statefulSetRolloutStatus(sts: StatefulSet): { message: string; done: boolean; error?: string } {
  if (sts.spec?.updateStrategy?.type !== 'RollingUpdate') return { message: '', done: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  const st = sts.status ?? { replicas: 0 };
  if (!st.observedGeneration || (sts.metadata?.generation ?? 0) > st.observedGeneration) return { message: 'Waiting for statefulset spec update to be observed...', done: false };
  const replicas = sts.spec.replicas ?? 1;
  const ready = st.readyReplicas ?? 0;
  if (ready < replicas) return { message: `Waiting for ${replicas - ready} pods to be ready...`, done: false };
  const partition = sts.spec.updateStrategy.rollingUpdate?.partition ?? 0;
  const updated = st.updatedReplicas ?? 0;
  if (partition > 0) {
    if (updated < replicas - partition) {
      return { message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`, done: false };
    }
    return { message: `partitioned roll out complete: ${updated} new pods have been updated...`, done: true };
  }
  if (st.updateRevision !== st.currentRevision) {
    return { message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${st.updateRevision ?? ''}...`, done: false };
  }
  return { message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision ?? ''}...`, done: true };
}

const revisionOf = (o: KubeObject): number => Number(o.metadata?.annotations?.[REVISION] ?? 0) || 0;

async function history(ctx: Context, d: DeploymentObject): Promise<ReplicaSetObject[]> {
  const list = await ctx.client().listAll<ReplicaSetObject>('replicasets', { namespace: d.metadata?.namespace ?? ctx.namespace });
  return list.items.filter((rs) => isOwnedBy(rs, d) && revisionOf(rs) > 0).sort((a, b) => revisionOf(a) - revisionOf(b));
}

/** A replica set's template as the deployment would have it: without the pod-template-hash label. */
function templateOf(rs: ReplicaSet): PodTemplateSpec {
  const t = structuredClone(rs.spec?.template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels['pod-template-hash'];
  }
  return t;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const status = defineCommand({
  name: 'status',
  summary: 'Follow a rollout until it completes',
  usage: 'tctl rollout status deployment/NAME|daemonset/NAME|statefulset/NAME [--timeout DURATION] [--watch=false]',
  flags: {
    timeout: { type: 'string', value: 'DURATION', description: 'give up (exit 1) after this long; default: wait forever' },
    watch: { type: 'boolean', short: 'w', default: true, description: 'keep watching until done (default true)' },
  },
  async run(ctx, { flags, positionals }) {
    const { info, name } = singleTarget(positionals, 'rollout status', ['deployments', 'daemonsets', 'statefulsets']);
    const viewer = info.resource === 'daemonsets'
      ? (o: KubeObject) => daemonSetRolloutStatus(o as DaemonSet)
      : info.resource === 'statefulsets'
        ? (o: KubeObject) => statefulSetRolloutStatus(o as StatefulSet)
        : (o: KubeObject) => deploymentRolloutStatus(o as Deployment);
    const deadline = flags.timeout ? Date.now() + durationArg(flags.timeout) : Infinity;
    let last = '';
    for (;;) {
      const s = viewer(await ctx.client().get<KubeObject>(info.resource, ctx.namespace, name));
      if (s.error) throw new CliError(s.error);
      if (s.message !== last) {
        ctx.out(`${s.message}\n`);
        last = s.message;
      }
      if (s.done || !flags.watch) return 0;
      if (Date.now() > deadline) throw new CliError('timed out waiting for the condition');
      if (ctx.signal.aborted) return 130;
      await sleep(250, ctx.signal);
    }
  },
});

const historyCommand = defineCommand({
  name: 'history',
  summary: 'List a deployment\'s revisions',
  usage: 'tctl rollout history deployment/NAME [--revision N]',
  flags: { revision: { type: 'int', value: 'N', description: 'show the pod template of this revision' } },
  async run(ctx, { flags, positionals }) {
    const { info, name } = singleTarget(positionals, 'rollout history', ['deployments']);
    const d = await ctx.client().get<DeploymentObject>(info.resource, ctx.namespace, name);
    const revisions = await history(ctx, d);
    const title = `${qualifiedSingular(info)}/${name}`;
    if (flags.revision !== undefined && flags.revision > 0) {
      const rs = revisions.find((r) => revisionOf(r) === flags.revision);
      if (!rs) throw new CliError(`unable to find the specified revision ${flags.revision}`);
      const w = new DescribeWriter();
      const t = templateOf(rs);
      w.section(0, 'Pod Template');
      w.map(1, 'Labels', t.metadata?.labels);
      const annotations = { ...(t.metadata?.annotations ?? {}) };
      w.map(1, 'Annotations', annotations, ': ');
      w.section(1, 'Containers');
      for (const c of t.spec?.containers ?? []) {
        w.section(2, c.name);
        w.field(3, 'Image', c.image);
        if (c.command?.length) w.field(3, 'Command', c.command.join(' '));
        if (c.args?.length) w.field(3, 'Args', c.args.join(' '));
      }
      ctx.out(`${title} with revision #${flags.revision}\n${w.toString()}`);
      return 0;
    }
    const rows = revisions.map((rs) => [String(revisionOf(rs)), rs.metadata?.annotations?.[CHANGE_CAUSE] ?? '<none>']);
    ctx.out(`${title}\n${renderTable(['REVISION', 'CHANGE-CAUSE'], rows).join('\n')}\n\n`);
    return 0;
  },
});

const undo = defineCommand({
  name: 'undo',
  summary: 'Roll a deployment back to its previous (or a given) revision',
  usage: 'tctl rollout undo deployment/NAME [--to-revision N]',
  flags: { 'to-revision': { type: 'int', value: 'N', default: 0, description: 'the revision to return to (default: the previous one)' } },
  async run(ctx, { flags, positionals }) {
    const { info, name } = singleTarget(positionals, 'rollout undo', ['deployments']);
    const client = ctx.client();
    const d = await client.get<DeploymentObject>(info.resource, ctx.namespace, name);
    const revisions = await history(ctx, d);
    const wanted = flags['to-revision'];
    let rs: ReplicaSetObject | undefined;
    if (wanted > 0) {
      rs = revisions.find((r) => revisionOf(r) === wanted);
      if (!rs) throw new CliError(`unable to find specified revision ${wanted} in history`);
    } else {
      if (revisions.length < 2) throw new CliError(`no rollout history found for deployment "${name}"`);
      rs = revisions[revisions.length - 2];
    }
    const template = templateOf(rs!);
    const revision = revisionOf(rs!);
    const title = `${qualifiedSingular(info)}/${name}`;
    const { changed } = await updateWithRetry<DeploymentObject>(client, info, ctx.namespace, name, (obj) => {
      if (stable(obj.spec?.template) === stable(template)) return false;
      obj.spec = { ...obj.spec!, template };
      return true;
    });
    ctx.out(changed ? `${title} rolled back\n` : `${title} skipped rollback (current template already matches revision ${revision})\n`);
    return 0;
  },
});

const restart = defineCommand({
  name: 'restart',
  summary: 'Replace every pod of a deployment or stateful set (a new rollout of the same template)',
  usage: 'tctl rollout restart deployment/NAME|statefulset/NAME',
  flags: {},
  async run(ctx, { positionals }) {
    const { info, name } = singleTarget(positionals, 'rollout restart', ['deployments', 'statefulsets']);
    await updateWithRetry<DeploymentObject>(ctx.client(), info, ctx.namespace, name, (obj) => {
      const template = obj.spec?.template ?? {};
      template.metadata = { ...(template.metadata ?? {}), annotations: { ...(template.metadata?.annotations ?? {}), [RESTARTED_AT]: new Date().toISOString() } };
      obj.spec = { ...obj.spec!, template };
      return true;
    });
    ctx.out(`${qualifiedSingular(info)}/${name} restarted\n`);
    return 0;
  },
});

function pauseCommand(pause: boolean) {
  const verb = pause ? 'pause' : 'resume';
  return defineCommand({
    name: verb,
    summary: pause ? 'Stop rolling out changes to a deployment' : 'Roll out changes to a paused deployment again',
    usage: `tctl rollout ${verb} deployment/NAME`,
    flags: {},
    async run(ctx, { positionals }) {
      const { info, name } = singleTarget(positionals, `rollout ${verb}`, ['deployments']);
      const { changed } = await updateWithRetry<DeploymentObject>(ctx.client(), info, ctx.namespace, name, (obj) => {
        if (!!obj.spec?.paused === pause) return false;
        obj.spec = { ...obj.spec!, paused: pause };
        return true;
      });
      if (!changed) throw new CliError(`deployments.apps "${name}" is ${pause ? 'already paused' : 'not paused'}`);
      ctx.out(`${qualifiedSingular(info)}/${name} ${pause ? 'paused' : 'resumed'}\n`);
      return 0;
    },
  });
}

export const rolloutCommand = defineGroup('rollout', 'Manage the rollout of a deployment', [status, historyCommand, undo, restart, pauseCommand(true), pauseCommand(false)]);
