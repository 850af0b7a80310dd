// ConfigMaps, Secrets and ServiceAccounts, with the columns of Kubernetes' printConfigMap,
// printSecret and printServiceAccount.
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ConfigMap, Secret } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, type KindPrinter } from './columns.js';

const keys = (m: Record<string, string> | undefined): number => Object.keys(m ?? {}).length;

export const configmaps: KindPrinter = {
  // DATA is declared "string" and sent as an integer, as Kubernetes does.
  columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  row(o, { now }) {
    const cm = o as ConfigMap;
    return [cm.metadata?.name ?? '', keys(cm.data) + keys(cm.binaryData), created(o, now)];
  },
};

export const secrets: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    AGE_COLUMN,
  ],
  row(o, { now }) {
    const s = o as Secret;
    return [s.metadata?.name ?? '', s.type ?? 'Opaque', keys(s.data) + keys(s.stringData), created(o, now)];
  },
};

export const serviceaccounts: KindPrinter = {
  columns: [NAME_COLUMN, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE_COLUMN],
  row(o, { now }) {
    const sa = o as ServiceAccount;
    return [sa.metadata?.name ?? '', sa.secrets?.length ?? 0, created(o, now)];
  },
};
