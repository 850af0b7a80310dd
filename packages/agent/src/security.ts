// What the agent presents and what it accepts, read from the files its flags name (kubelet's
// flags): towards the API server, the kubeconfig's CA and this node's client certificate;
// on its own gRPC port, its serving certificate, and the CA its clients' certificates must
// chain to. Every failure is one line naming the flag, so a misconfigured agent says why
// it cannot start.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { componentClientConfig, nodeUsername, type ClientConfig } from '@tugboat/api';
import type { AgentFlags } from './flags.js';

export interface ServingTls {
  certPem: string;
  keyPem: string;
  /** The CA a client certificate must chain to. */
  clientCaPem: string;
}

export interface AgentSecurity {
  /** The API server's address and this node's credentials towards it. */
  client: ClientConfig;
  /** The service proxy's credentials (--proxy-kubeconfig, user system:kube-proxy), when given. */
  proxyClient?: ClientConfig;
  serving: ServingTls;
  /** Things that will not stop the agent but will stop the API server from trusting it. */
  warnings: string[];
}

export class SecurityConfigError extends Error {
  override readonly name = 'SecurityConfigError';
}

function readPem(flag: string, path: string, marker: RegExp, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SecurityConfigError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!marker.test(text)) throw new SecurityConfigError(`${flag}: ${path} holds no PEM ${what}`);
  return text;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/** The subject's CN of a PEM certificate, or undefined. */
function commonName(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}

export function loadAgentSecurity(
  flags: Pick<AgentFlags, 'kubeconfig' | 'server' | 'tlsCertFile' | 'tlsPrivateKeyFile' | 'clientCaFile' | 'nodeName' | 'hollow' | 'proxyKubeconfig'>,
  env: Record<string, string | undefined> = process.env,
): AgentSecurity {
  let client: ClientConfig;
  try {
    client = componentClientConfig({ kubeconfig: flags.kubeconfig, server: flags.server, env });
  } catch (e) {
    const message = (e as Error).message;
    // --server's own errors already name their flag.
    throw new SecurityConfigError(message.startsWith('--') ? message : `--kubeconfig: ${message}`);
  }
  if (!client.credentials.tls?.cert && !client.credentials.token && !client.credentials.tokenFile) {
    throw new SecurityConfigError(`--kubeconfig: ${client.source} has no client certificate or token for the agent to authenticate with`);
  }
  let proxyClient: ClientConfig | undefined;
  if (flags.proxyKubeconfig) {
    try {
      // --server names the API server for both identities.
      proxyClient = componentClientConfig({ kubeconfig: flags.proxyKubeconfig, server: flags.server, env });
    } catch (e) {
      const message = (e as Error).message;
      throw new SecurityConfigError(message.startsWith('--server') ? message : `--proxy-kubeconfig: ${message}`);
    }
    if (!proxyClient.credentials.tls?.cert && !proxyClient.credentials.token && !proxyClient.credentials.tokenFile) {
      throw new SecurityConfigError(`--proxy-kubeconfig: ${proxyClient.source} has no client certificate or token for the service proxy to authenticate with`);
    }
  }
  const certPem = readPem('--tls-cert-file', flags.tlsCertFile, CERT, 'certificate');
  const keyPem = readPem('--tls-private-key-file', flags.tlsPrivateKeyFile, KEY, 'private key');
  const clientCaPem = readPem('--client-ca-file', flags.clientCaFile, CERT, 'certificate');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new SecurityConfigError(`--tls-cert-file: ${flags.tlsCertFile}: not a valid certificate: ${(e as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    throw new SecurityConfigError(`--tls-private-key-file: ${flags.tlsPrivateKeyFile}: not a valid private key: ${(e as Error).message}`);
  }
  if (!matches) throw new SecurityConfigError(`--tls-private-key-file: ${flags.tlsPrivateKeyFile} is not the key of the certificate in --tls-cert-file`);
  const warnings: string[] = [];
  // The API server reaches an agent only if its certificate names that very node.
  const cn = commonName(cert);
  if (flags.hollow === 0 && cn !== nodeUsername(flags.nodeName)) {
    warnings.push(`--tls-cert-file: the serving certificate is for ${JSON.stringify(cn ?? '')}, but the API server accepts only ${nodeUsername(flags.nodeName)} for this node: logs and exec will fail`);
  }
  return { client, ...(proxyClient ? { proxyClient } : {}), serving: { certPem, keyPem, clientCaPem }, warnings };
}
