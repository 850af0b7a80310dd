// ObjectMeta, labels, annotations and label selectors: the checks every kind shares
// (Kubernetes' ValidateObjectMeta, ValidateLabels, ValidateAnnotations, ValidateLabelSelector).
import type { LabelSelector, ObjectMeta } from '../types.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, type NameValidator } from '../names.js';
import { FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER } from '../types.js';
import { child, duplicate, each, forbidden, index, invalid, nonNegative, required, tooLong, type Errs } from './field-errors.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, path: string): Errs {
  const errs: Errs = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...each(path, k, isQualifiedName(k)));
    errs.push(...each(path, v, isValidLabelValue(v)));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): Errs {
  const errs: Errs = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Kubernetes: a qualified name, except that case does not matter.
    errs.push(...each(path, k, isQualifiedName(k.toLowerCase())));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', ORPHAN_FINALIZER, FOREGROUND_DELETION_FINALIZER]);

function validateFinalizers(finalizers: readonly string[] | undefined, path: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  (finalizers ?? []).forEach((f, i) => {
    const p = index(path, i);
    const msgs = isQualifiedName(f);
    errs.push(...each(p, f, msgs));
    if (msgs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
    if (seen.has(f)) errs.push(duplicate(p, f));
    seen.add(f);
  });
  return errs;
}

function validateOwnerReferences(meta: ObjectMeta, path: string): Errs {
  const errs: Errs = [];
  let controllers = 0;
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const p = index(path, i);
    if (!ref.apiVersion) errs.push(invalid(child(p, 'apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(child(p, 'kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(child(p, 'name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(child(p, 'uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers++;
  });
  if (controllers > 1) errs.push(invalid(path, meta.ownerReferences, 'Only one reference can have Controller set to true'));
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameValidator;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, path: string, opts: MetaOptions): Errs {
  const errs: Errs = [];
  const m = meta ?? {};
  const p = (f: string): string => child(path, f);
  if (m.generateName) errs.push(...each(p('generateName'), m.generateName, opts.nameFn(m.generateName, true)));
  if (!m.name) errs.push(required(p('name'), 'name or generateName is required'));
  else errs.push(...each(p('name'), m.name, opts.nameFn(m.name, false)));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(p('namespace')));
    else errs.push(...each(p('namespace'), m.namespace, isDNS1123Label(m.namespace)));
  } else if (m.namespace) {
    errs.push(forbidden(p('namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(p('generation'), m.generation));
  errs.push(...nonNegative(p('deletionGracePeriodSeconds'), m.deletionGracePeriodSeconds));
  errs.push(...validateLabels(m.labels, p('labels')));
  errs.push(...validateAnnotations(m.annotations, p('annotations')));
  errs.push(...validateOwnerReferences(m, p('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, p('finalizers')));
  return errs;
}

/** Metadata in a template (a Deployment's spec.template.metadata): labels and annotations only. */
export function validateTemplateMeta(meta: ObjectMeta | undefined, path: string): Errs {
  return [...validateLabels(meta?.labels, child(path, 'labels')), ...validateAnnotations(meta?.annotations, child(path, 'annotations'))];
}

export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path: string): Errs {
  const errs: Errs = [];
  for (const f of ['name', 'namespace'] as const) {
    const now = meta?.[f] ?? '';
    if (now !== (old?.[f] ?? '')) errs.push(invalid(child(path, f), now, 'field is immutable'));
  }
  return errs;
}

/** A LabelSelector object as Kubernetes' ValidateLabelSelector checks it. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): Errs {
  if (!sel) return [];
  const errs: Errs = [];
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const n = e.values?.length ?? 0;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (n === 0) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (n > 0) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(child(p, 'operator'), e.operator, 'not a valid selector operator'));
    }
    if (e.key) errs.push(...each(child(p, 'key'), e.key, isQualifiedName(e.key)));
    for (const v of e.values ?? []) errs.push(...each(child(p, 'values'), v, isValidLabelValue(v)));
  });
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  return errs;
}
