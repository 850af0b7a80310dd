// Kubernetes' root-ca-cert-publisher: a ConfigMap `kube-root-ca.crt` in every namespace whose
// `ca.crt` is the cluster CA (--root-ca-file), so pods can verify the API server
// (the ServiceAccount token volume projects it). Level-triggered per namespace: made when the
// namespace appears, put back when deleted or edited, and rewritten everywhere when the file
// changes (it is re-read every recheckMs; Kubernetes reloads it the same way, for CA rotation).
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { ROOT_CA_CONFIGMAP, type ConfigMap, type Informer, type KubeObject } from '@tugboat/api';
import type { Timer } from '@tugboat/api';
import { describe } from './controller.js';
import type { SharedInformers } from './informers.js';
import { namespaceActive, namespaceGoneOrGoing, type NamespaceObject } from './serviceaccounts.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export const ROOT_CA_KEY = 'ca.crt';
/** Kubernetes' annotation and wording on the ConfigMap. */
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
export const DEFAULT_ROOT_CA_RECHECK_MS = 30_000;

export type ConfigMapObject = ConfigMap & KubeObject;

/** The CA bundle in `file`; throws one line naming the flag when it cannot be read or holds no certificate. */
export function readRootCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--root-ca-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? describe(e)}`, { cause: e });
  }
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
    void new X509Certificate(pem);
  } catch (e) {
    throw new Error(`--root-ca-file: ${file} holds no PEM certificate (${describe(e)})`, { cause: e });
  }
  return pem;
}

/** Whether the ConfigMap already says exactly what it should (data and the description). */
export function rootCaConfigMapCurrent(cm: ConfigMapObject, ca: string): boolean {
  const keys = Object.keys(cm.data ?? {});
  return keys.length === 1 && cm.data?.[ROOT_CA_KEY] === ca && !!cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION];
}

export interface RootCaPublisherOptions extends ControllerOptions {
  informers: SharedInformers;
  /** The current CA bundle (readRootCa of the flag's file); re-read every recheckMs. */
  readCa: () => string;
  recheckMs?: number;
}

export class RootCaPublisher extends QueueController {
  private readonly namespaces: Informer<NamespaceObject>;
  private readonly configMaps: Informer<ConfigMapObject>;
  private readonly readCa: () => string;
  private readonly recheckMs: number;
  private ca: string;
  private lastReadError = '';
  private timer: Timer | undefined;
  private stopped = false;

  constructor(opts: RootCaPublisherOptions) {
    super('root_ca_cert_publisher', opts, 1);
    this.readCa = opts.readCa;
    this.ca = opts.readCa();
    this.recheckMs = opts.recheckMs ?? DEFAULT_ROOT_CA_RECHECK_MS;
    this.namespaces = opts.informers.forResource<NamespaceObject>('namespaces');
    this.configMaps = opts.informers.forResource<ConfigMapObject>('configmaps');
    this.namespaces
      .onAdd((ns) => this.queue.add(ns.metadata?.name ?? ''))
      .onUpdate((_old, ns) => { if (namespaceActive(ns)) this.queue.add(ns.metadata?.name ?? ''); });
    const changed = (cm: ConfigMapObject): void => {
      if (cm.metadata?.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace ?? '');
    };
    this.configMaps.onUpdate((_old, cm) => changed(cm)).onDelete(changed);
  }

  override run(): Promise<void> {
    this.scheduleRecheck();
    return super.run();
  }

  override stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    super.stop();
  }

  /** The bundle being published. */
  currentCa(): string {
    return this.ca;
  }

  /** Re-reads the file; a new bundle re-queues every namespace. A bad read keeps the last good one. */
  recheck(): void {
    let next: string;
    try {
      next = this.readCa();
      this.lastReadError = '';
    } catch (e) {
      const line = `root-ca-cert-publisher: keeping the CA read before: ${describe(e)}`;
      if (line !== this.lastReadError) this.log.error(line);
      this.lastReadError = line;
      return;
    }
    if (next === this.ca) return;
    this.ca = next;
    this.log.info('root-ca-cert-publisher: the CA bundle changed; updating every namespace');
    for (const ns of this.namespaces.list()) this.queue.add(ns.metadata?.name ?? '');
  }

  private scheduleRecheck(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(() => {
      this.recheck();
      this.scheduleRecheck();
    }, this.recheckMs);
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.get(namespace);
    if (!ns || !namespaceActive(ns)) return;
    const ca = this.ca;
    const cm = this.configMaps.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    if (!cm) {
      try {
        await this.client.create<ConfigMapObject>({
          apiVersion: 'v1', kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
          data: { [ROOT_CA_KEY]: ca },
        });
      } catch (e) {
        if (await namespaceGoneOrGoing(this.client, e, namespace)) return;
        // AlreadyExists (made meanwhile, our cache lags) re-queues too: the next pass checks its content.
        throw e;
      }
      return;
    }
    if (rootCaConfigMapCurrent(cm, ca)) return;
    await this.client.update<ConfigMapObject>({
      ...cm,
      metadata: { ...cm.metadata, annotations: { ...cm.metadata?.annotations, [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
      data: { [ROOT_CA_KEY]: ca },
    });
  }
}
