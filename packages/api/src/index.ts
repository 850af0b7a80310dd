export * from './types.js';
export * from './kinds.js';
export * from './errors.js';
export { loadProtos } from './proto.js';
export * from './client/client.js';
export * from './client/informer.js';
export * from './client/events.js';
export * from './client/leader-election.js';
export * from './client/retry.js';
export * from './client/failover.js';
export { HTTP2_WINDOW_BYTES, UnaryChannel, type UnaryMethod } from './client/unary-channel.js';
export * from './quantity.js';
export * from './labels.js';
export * from './fields.js';
export * from './admission.js';
export * from './names.js';
export { sleep } from './sleep.js';
export { StringTable, sharedStrings } from './shared-strings.js';
export * from './time.js';
export * from './files.js';
export * from './clock.js';
export {
  FlagError, defineFlags, flagValue, formatFlagUsage, parseCommandLine, pickFlags,
  type FlagErrorReason, type FlagKind, type FlagSpec, type FlagTable, type FlagUsageOptions, type FlagValue, type FlagValues, type ParsedCommandLine,
} from './cli/flags.js';
export * from './ipv4.js';
export {
  podQOSClass, defaultImagePullPolicy, DEFAULT_SCHEDULER_NAME, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, NAMESPACE_NAME_LABEL,
  JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, DEFAULT_JOB_BACKOFF_LIMIT,
  type QOSClass,
} from './defaults/index.js';
export { validateLabelSelector, validatePodSpec, TOTAL_ANNOTATION_SIZE_LIMIT, MAX_DATA_SIZE } from './validation/index.js';
export * from './server/host-port.js';
export * from './server/component-http.js';
export * from './server/heap-growth.js';
export * from './client/credentials.js';
export * from './auth/user.js';
export * from './auth/rbac.js';
export * from './client/kubeconfig.js';
export * from './auth/service-account-volume.js';
export { KNOWN_FIELDS, ROOT_TYPES, KUBERNETES_TYPES_VERSION } from './schema/known-fields.js';
export * from './printing/index.js';
export * from './priority.js';
export * from './disruption-budget.js';
export * from './storage.js';
export * from './sidecars.js';
export * from './pod-resources.js';
export * from './autoscaling.js';
export * from './node-ready.js';
export * from './resource-metrics.js';
export { TYPE_ORIGINS } from './schema/type-origins.js';
export * from './scheduling/index.js';
export { jobFromCronJobTemplate } from './cron/job-template.js';
export { parseCronSchedule, type CronSchedule, type ParsedSchedule } from './cron/schedule.js';
export { isKnownTimeZone, wallClock, zonedInstant, zoneOffsetMs, type WallClock } from './cron/zone.js';
