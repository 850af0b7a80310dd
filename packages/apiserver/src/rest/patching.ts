// The patch module's functions (patch/index.ts) behind an interface, so the handlers are
// written against the contract and tests can see what is wired.
import type { KubeObject } from '@tugboat/api';
import { applyPatch, recordUpdate, serverSideApply } from '../patch/index.js';

export type MergePatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

export interface Patching {
  applyPatch(kind: string, current: KubeObject, type: MergePatchType, body: string): KubeObject;
  serverSideApply(input: { kind: string; apiVersion: string; live: KubeObject | undefined; applied: KubeObject; manager: string; force: boolean; now: Date; subresource?: string }): KubeObject;
  recordUpdate(input: { kind: string; apiVersion: string; live: KubeObject | undefined; next: KubeObject; manager: string; now: Date; subresource?: string }): KubeObject;
}

export const PATCHING: Patching = { applyPatch, serverSideApply, recordUpdate };
