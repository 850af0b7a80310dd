// Every top-level tctl command, in the order `tctl --help` lists them.
import type { Command } from '../command.js';
import { apiResourcesCommand } from './api-resources.js';
import { applyCommand } from './apply.js';
import { authCommand } from './auth.js';
import { clusterCommand } from './cluster.js';
import { configCommand } from './config.js';
import { consoleCommand } from './console.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { describeCommand } from './describe.js';
import { execCommand } from './exec.js';
import { exposeCommand } from './expose.js';
import { getCommand } from './get.js';
import { annotateCommand, labelCommand } from './label.js';
import { logsCommand } from './logs.js';
import { cordonCommandDef, drainCommand, uncordonCommandDef } from './node-ops.js';
import { rolloutCommand } from './rollout.js';
import { scaleCommand } from './scale.js';
import { autoscaleCommand } from './autoscale.js';
import { topCommand } from './top.js';
import { versionCommand } from './version.js';
import { waitCommand } from './wait.js';

export const COMMANDS: readonly Command[] = [
  applyCommand,
  getCommand,
  describeCommand,
  deleteCommand,
  createCommand,
  exposeCommand,
  labelCommand,
  annotateCommand,
  logsCommand,
  execCommand,
  scaleCommand,
  autoscaleCommand,
  rolloutCommand,
  waitCommand,
  cordonCommandDef,
  uncordonCommandDef,
  drainCommand,
  topCommand,
  authCommand,
  clusterCommand,
  consoleCommand,
  configCommand,
  apiResourcesCommand,
  versionCommand,
];
