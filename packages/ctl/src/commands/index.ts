// Every top-level tctl command, in the order `tctl --help` lists them.
import type { Command } from '../command.js';
import { applyCommand } from './apply.js';
import { clusterCommand } from './cluster.js';
import { configCommand } from './config.js';
import { deleteCommand } from './delete.js';
import { describeCommand } from './describe.js';
import { getCommand } from './get.js';
import { versionCommand } from './version.js';

export const COMMANDS: readonly Command[] = [
  applyCommand,
  getCommand,
  describeCommand,
  deleteCommand,
  clusterCommand,
  configCommand,
  versionCommand,
];
