// Ports for the local cluster: the documented default when it is free, else one the OS
// picks. Ports handed out in this run are remembered so two components never get the same.
import { createServer } from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function osFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class PortAllocator {
  private readonly taken = new Set<number>();

  /** @param random never use the defaults (tests running several clusters at once). */
  constructor(private readonly random = false) {}

  reserve(port: number): void {
    this.taken.add(port);
  }

  /** `preferred` when free and not handed out yet, else a port the OS picks. */
  async pick(preferred: number | undefined): Promise<number> {
    if (preferred && !this.random && !this.taken.has(preferred) && (await isPortFree(preferred))) {
      this.taken.add(preferred);
      return preferred;
    }
    for (;;) {
      const p = await osFreePort();
      if (!this.taken.has(p)) {
        this.taken.add(p);
        return p;
      }
    }
  }
}
