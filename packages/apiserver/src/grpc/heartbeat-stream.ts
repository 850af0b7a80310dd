// Server/NodeHeartbeats: node heartbeats on one long-lived bidirectional stream. The stream is
// authenticated once; each node name it beats for is authorized once (as an update of that
// node's Lease, the same rule as the unary NodeHeartbeat), then every message joins the
// batcher's next write and is answered with its node name once stored. Against a unary call
// per heartbeat this saves the HTTP/2 headers, a stream and the gate each time, which were
// most of a heartbeat's cost with thousands of nodes.
//
// An error (Forbidden, a failed write, a bad message) ends the stream with its status; the
// agent opens a new one. Counted per message as verb HEARTBEAT, like the unary call.
import { ApiError, NODE_LEASE_NAMESPACE, type UserInfo } from '@tugboat/api';
import { forbiddenError, type Decision } from '../auth/authorizer.js';
import type { HeartbeatBatcher } from '../heartbeats/heartbeat-batcher.js';
import { grpcStatus, httpCode, report, type HandlerDeps } from './handlers.js';
import type { NodeHeartbeatRequest, NodeHeartbeatResponse } from './proto-types.js';
import { namedRequest } from './request-attributes.js';
import type { BidiStreamCall, BidiStreamHandler } from './wire-server.js';

export function heartbeatStream(deps: HandlerDeps, heartbeats: HeartbeatBatcher): BidiStreamHandler<NodeHeartbeatRequest, NodeHeartbeatResponse> {
  return {
    kind: 'bidiStream',
    handle(call: BidiStreamCall<NodeHeartbeatRequest, NodeHeartbeatResponse>) {
      let ended = false;
      let inFlight = 0;
      let halfClosed = false;
      const decisions = new Map<string, Promise<Decision>>();
      const end = (err?: unknown): void => {
        if (ended) return;
        ended = true;
        if (err !== undefined) report(deps.log, 'heartbeat', err);
        call.end(err === undefined ? undefined : grpcStatus(err));
      };
      call.onCancel(() => { ended = true; });
      const user: Promise<UserInfo> = deps.security.authenticate(call.credentials).then((id) => id.user);
      // Authentication failed: the stream ends with it (caught here once, not per message).
      user.catch((e: unknown) => end(e));

      const beat = async (node: string): Promise<void> => {
        const started = process.hrtime.bigint();
        let code = 200;
        try {
          if (!node) throw new ApiError('BadRequest', 'NodeHeartbeats: node: Required value');
          let decision = decisions.get(node);
          const attrs = { ...namedRequest('update', 'leases', NODE_LEASE_NAMESPACE, node), user: await user };
          if (!decision) {
            decision = deps.security.authorize(attrs);
            decisions.set(node, decision);
          }
          const d = await decision;
          if (d.decision !== 'allow') throw forbiddenError(attrs, d.reason);
          await heartbeats.beat(node);
          if (!ended) call.write({ node });
        } catch (e) {
          code = httpCode(e);
          end(e);
        } finally {
          deps.metrics.requestTotal.inc({ verb: 'HEARTBEAT', resource: 'leases', code: String(code) });
          deps.metrics.requestDuration.observe({ verb: 'HEARTBEAT', resource: 'leases' }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      };

      call.onMessage((req) => {
        if (ended) return;
        inFlight++;
        void beat(req.node).finally(() => {
          inFlight--;
          if (halfClosed && inFlight === 0) end();
        });
      });
      call.onHalfClose(() => {
        halfClosed = true;
        if (inFlight === 0) end();
      });
    },
  };
}
