// Server/NodeHeartbeat and Server/NodeHeartbeats: a node's heartbeat, allowed to whoever may
// update the node's Lease (the node itself through the Node authorizer, admins), joins the
// batcher's next write and is answered once stored. Both are counted as verb HEARTBEAT: their
// time includes the batch wait (up to 200 ms), which would skew the PUT latencies that
// Kubernetes' SLOs read.
//
// NodeHeartbeats is what agents use: one long-lived bidirectional stream, authenticated once,
// each node name it beats for authorized once, every message answered with its node name.
// Against a unary call per heartbeat this saves the HTTP/2 headers, a stream and the gate each
// time, which were most of a heartbeat's cost with thousands of nodes. An error (Forbidden, a
// failed write, a bad message) ends the stream with its status; the agent opens a new one.
//
// Each answer carries the node's Node resourceVersion as this server's cache holds it, so an
// agent learns that nobody changed its Node (a Ready condition set to Unknown, a pod CIDR)
// without reading it every status interval: 5,000 nodes read theirs 500 times a second.
//
// A heartbeat may also ask for the node's own Lease to be renewed (renew_lease_seconds): the
// server writes it through the registry before answering, and the answer carries its new
// resourceVersion. The permission is the same (update of that Lease), so the renewal every
// lease-renew-interval costs no request of its own: at 5,000 nodes renewing every 60 s, 84
// requests a second with their TLS, HTTP/2 and authentication. Any failure of the renewal
// is answered as "not renewed", and the agent renews the Lease itself, as against an older
// server.
import { ApiError, NODE_LEASE_NAMESPACE, type UserInfo } from '@tugboat/api';
import { forbiddenError } from '../auth/authorizer.js';
import type { HeartbeatBatcher } from '../heartbeats/heartbeat-batcher.js';
import { attributesOnly, countRequest, grpcStatus, httpCode, report, unary, type HandlerDeps } from './handlers.js';
import type { NodeHeartbeatRequest, NodeHeartbeatResponse } from './proto-types.js';
import { namedRequest, type Attributes } from './request-attributes.js';
import type { BidiStreamCall, BidiStreamHandler, UnaryHandler } from './wire-server.js';

const VERB = 'heartbeat'; // rpcMetricVerb: HEARTBEAT

/** The Node's resourceVersion in this server's cache (undefined: not cached). */
export type NodeVersion = (node: string) => string | undefined;
/** Renews the node's Lease with this duration; its new resourceVersion, undefined when not renewed. */
export type LeaseRenewal = (node: string, leaseDurationSeconds: number) => Promise<string | undefined>;

/** What the heartbeat handlers work with. */
export interface HeartbeatDeps {
  readonly batcher: HeartbeatBatcher;
  readonly nodeVersion: NodeVersion;
  readonly renewLease: LeaseRenewal;
}

/** The beat stored (and the Lease renewed, when asked): the answer. */
async function heartbeat(deps: HandlerDeps, hb: HeartbeatDeps, req: NodeHeartbeatRequest): Promise<NodeHeartbeatResponse> {
  const node = req.node ?? '';
  const seconds = req.renewLeaseSeconds ?? 0;
  // A renewal that fails is answered as not renewed (the agent renews the Lease itself); a
  // failure of ours, not the request's, is logged as any call's would be.
  const renewed = (): Promise<string | undefined> => hb.renewLease(node, seconds).catch((e: unknown) => { report(deps.log, VERB, e); return undefined; });
  const [, leaseVersion] = await Promise.all([hb.batcher.beat(node), seconds > 0 ? renewed() : undefined]);
  return { node, nodeResourceVersion: hb.nodeVersion(node) ?? '', leaseResourceVersion: leaseVersion ?? '' };
}

/** What a heartbeat for `node` is authorized as; an empty name is refused first. */
function heartbeatAttributes(method: string, node: string): Attributes {
  if (!node) throw new ApiError('BadRequest', `${method}: node: Required value`);
  return namedRequest('update', 'leases', NODE_LEASE_NAMESPACE, node);
}

export function heartbeatUnary(deps: HandlerDeps, hb: HeartbeatDeps): UnaryHandler<NodeHeartbeatRequest, NodeHeartbeatResponse> {
  return unary<NodeHeartbeatRequest, NodeHeartbeatResponse>(
    deps, '/tugboat.v1.Server/NodeHeartbeat', VERB,
    attributesOnly((req) => heartbeatAttributes('NodeHeartbeat', req.node ?? '')),
    (req) => heartbeat(deps, hb, req),
  );
}

export function heartbeatStream(deps: HandlerDeps, hb: HeartbeatDeps): BidiStreamHandler<NodeHeartbeatRequest, NodeHeartbeatResponse> {
  return {
    kind: 'bidiStream',
    handle(call: BidiStreamCall<NodeHeartbeatRequest, NodeHeartbeatResponse>) {
      let ended = false;
      let inFlight = 0;
      let halfClosed = false;
      const end = (err?: unknown): void => {
        if (ended) return;
        ended = true;
        if (err !== undefined) report(deps.log, VERB, err);
        call.end(err === undefined ? undefined : grpcStatus(err));
      };
      call.onCancel(() => { ended = true; });
      const user: Promise<UserInfo> = deps.security.authenticate(call.credentials).then((id) => id.user);
      // Authentication failed: the stream ends with it (caught here once, not per message).
      user.catch((e: unknown) => end(e));
      // Per node name, decided once for the stream: resolves when allowed, else Forbidden.
      const allowed = new Map<string, Promise<void>>();
      const authorize = async (node: string): Promise<void> => {
        const attrs = { ...heartbeatAttributes('NodeHeartbeats', node), user: await user };
        const d = await deps.security.authorize(attrs);
        if (d.decision !== 'allow') throw forbiddenError(attrs, d.reason);
      };

      const beat = async (req: NodeHeartbeatRequest): Promise<void> => {
        const node = req.node ?? '';
        const started = process.hrtime.bigint();
        let code = 200;
        try {
          let ok = allowed.get(node);
          if (!ok) allowed.set(node, (ok = authorize(node)));
          await ok;
          const res = await heartbeat(deps, hb, req);
          if (!ended) call.write(res);
        } catch (e) {
          code = httpCode(e);
          end(e);
        } finally {
          countRequest(deps, 'HEARTBEAT', 'leases', code, started);
        }
      };

      call.onMessage((req) => {
        if (ended) return;
        inFlight++;
        void beat(req).finally(() => {
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
