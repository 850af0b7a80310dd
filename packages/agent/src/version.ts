// The agent's version (package.json), reported as nodeInfo.kubeletVersion "v<version>".
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // dist/version.js → ../package.json
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const AGENT_VERSION = readVersion();
export const AGENT_COMPONENT = 'tugboat-agent';
