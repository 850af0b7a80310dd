// Facts about this machine for the Node object: its capacity and its system info.
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, release, totalmem } from 'node:os';
import { formatBytes } from '@tugboat/api';
import { goArch, type NodeSystemInfo } from './node-object.js';

function readTrimmed(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return ''; }
}

function osImage(): string {
  const text = readTrimmed('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

export function systemInfo(runtimeVersion: string, agentVersion: string): NodeSystemInfo {
  const machineID = readTrimmed('/etc/machine-id');
  return {
    machineID,
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid') || machineID,
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
    kernelVersion: release(),
    osImage: osImage(),
    containerRuntimeVersion: runtimeVersion,
    kubeletVersion: `v${agentVersion}`,
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: goArch(arch()),
  };
}

/** cores, memory (Ki, as kubelet reports it), pods 110, and the data dir's disk. */
export function machineCapacity(dataDir: string): Record<string, string> {
  const cap: Record<string, string> = {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
  };
  try {
    const fs = statfsSync(dataDir);
    cap['ephemeral-storage'] = formatBytes(Math.floor((fs.blocks * fs.bsize) / 1024) * 1024);
  } catch { /* no disk figure */ }
  return cap;
}
