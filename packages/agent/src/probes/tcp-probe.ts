// tcpSocket probes: success when a TCP connection to host:port opens within the timeout
// (it is closed at once, nothing is sent), as kubelet's prober/tcp.
import { connect } from 'node:net';
import type { ProbeOutcome } from './probe-types.js';
import { hostPort } from './probe-target.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = hostPort(host, port);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (o: ProbeOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ result: 'failure', output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused'
        : e.code === 'EHOSTUNREACH' ? 'connect: no route to host'
          : e.code === 'ENETUNREACH' ? 'connect: network is unreachable'
            : e.message;
      finish({ result: 'failure', output: `dial tcp ${addr}: ${why}` });
    });
  });
}
