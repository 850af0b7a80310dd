export { serverSideApply, type ApplyInput } from './apply.js';
export { recordUpdate, type UpdateInput } from './update.js';
export { conflictCauses, type ConflictCause } from './conflict.js';
