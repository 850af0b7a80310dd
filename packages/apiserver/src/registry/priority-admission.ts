// Kubernetes' Priority admission plugin. On a pod's create: spec.priority and
// spec.preemptionPolicy come from the PriorityClass it names, or from the global default class
// (priority 0 when there is none); a class that does not exist, or a priority the pod set itself
// that differs, is refused. On update: what create resolved stays. On a PriorityClass's create
// or update: at most one class is the global default.
//
//   pod create ──▶ name? ── yes ─▶ class from the informer (etcd only when it is not there yet)
//                    └──── no ──▶ the global default class from the informer (none: 0)
//                  ──▶ decidePodPriority (pure) ──▶ the pod, or Forbidden
import {
  ApiError, DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS, type KubeObject, type Pod, type PriorityClassObject,
} from '@tugboat/api';

type PodObject = Pod & KubeObject;

export type PriorityDecision = { readonly ok: true; readonly pod: PodObject } | { readonly ok: false; readonly message: string };

/** Of several global defaults (two racing creates), Kubernetes takes the lowest value. */
export function pickDefaultClass(classes: Iterable<PriorityClassObject>): PriorityClassObject | undefined {
  let best: PriorityClassObject | undefined;
  for (const c of classes) {
    if (c.globalDefault && (!best || c.value < best.value)) best = c;
  }
  return best;
}

/**
 * The pod with its priority resolved: `named` is the class the pod names (undefined: there is
 * none of that name), `defaultClass` the global default for a pod that names none.
 */
export function decidePodPriority(pod: PodObject, named: PriorityClassObject | undefined, defaultClass: PriorityClassObject | undefined): PriorityDecision {
  const spec = pod.spec;
  if (!spec) return { ok: true, pod };
  const wanted = spec.priorityClassName;
  let className: string | undefined;
  let priority: number;
  let policy: string | undefined;
  if (wanted) {
    if (!named) return { ok: false, message: `no PriorityClass with name ${wanted} was found` };
    className = wanted;
    priority = named.value;
    policy = named.preemptionPolicy;
  } else if (defaultClass) {
    className = defaultClass.metadata?.name;
    priority = defaultClass.value;
    policy = defaultClass.preemptionPolicy;
  } else {
    priority = DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS;
    policy = 'PreemptLowerPriority';
  }
  if (spec.priority !== undefined && spec.priority !== priority) {
    return { ok: false, message: `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name` };
  }
  if (policy !== undefined && spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== policy) {
    return { ok: false, message: `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name` };
  }
  return {
    ok: true,
    pod: {
      ...pod,
      spec: { ...spec, ...(className ? { priorityClassName: className } : {}), priority, ...(policy !== undefined ? { preemptionPolicy: policy } : {}) },
    },
  };
}

/** On update, the priority create resolved stays when the new object leaves it out. */
export function keepPodPriority(pod: KubeObject, old: KubeObject): KubeObject {
  const spec = (pod as PodObject).spec;
  const was = (old as PodObject).spec;
  if (!spec || !was) return pod;
  if ((spec.priority !== undefined || was.priority === undefined) && (spec.preemptionPolicy !== undefined || was.preemptionPolicy === undefined)) return pod;
  return {
    ...pod,
    spec: {
      ...spec,
      ...(spec.priority === undefined && was.priority !== undefined ? { priority: was.priority } : {}),
      ...(spec.preemptionPolicy === undefined && was.preemptionPolicy !== undefined ? { preemptionPolicy: was.preemptionPolicy } : {}),
    },
  };
}

/** Where the classes are read: the API server's informer, and etcd for what it has not seen yet. */
export interface PriorityClassReader {
  /** The informer's copy: undefined until it has listed. */
  cached(): { get(name: string): PriorityClassObject | undefined; all(): Iterable<PriorityClassObject> } | undefined;
  /** Straight from etcd. */
  read(name: string): Promise<PriorityClassObject | undefined>;
  list(): Promise<readonly PriorityClassObject[]>;
}

function forbidden(resource: string, name: string, message: string): ApiError {
  return new ApiError('Forbidden', `${resource} "${name}" is forbidden: ${message}`);
}

export class PriorityAdmission {
  constructor(private readonly classes: PriorityClassReader) {}

  /** A new pod's priority (create). Reads memory on the hot path; etcd only for a class the cache lacks. */
  async admitPod(pod: KubeObject): Promise<KubeObject> {
    const p = pod as PodObject;
    const cache = this.classes.cached();
    const wanted = p.spec?.priorityClassName;
    let named: PriorityClassObject | undefined;
    let defaultClass: PriorityClassObject | undefined;
    if (wanted) named = cache?.get(wanted) ?? await this.classes.read(wanted);
    else defaultClass = pickDefaultClass(cache ? cache.all() : await this.classes.list());
    const decision = decidePodPriority(p, named, defaultClass);
    if (!decision.ok) throw forbidden('pods', p.metadata?.name ?? '', decision.message);
    return decision.pod;
  }

  /**
   * A class may become the global default only while no other is (read from etcd: classes
   * change seldom, and two defaults at once is what this prevents).
   */
  async checkClass(pc: KubeObject, creating: boolean): Promise<void> {
    const cls = pc as PriorityClassObject;
    if (!cls.globalDefault) return;
    const name = cls.metadata?.name ?? '';
    const current = pickDefaultClass(await this.classes.list());
    if (current && (creating || current.metadata?.name !== name)) {
      throw forbidden('priorityclasses.scheduling.k8s.io', name, `PriorityClass ${current.metadata?.name ?? ''} is marked as default. Only one default can exist`);
    }
  }
}
