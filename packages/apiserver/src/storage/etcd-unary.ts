// etcd's KV Range and Txn as plain gRPC calls on one HTTP/2 session, for the API server's hot
// path: every GET, list page and write is one of these.
//
//   call ─▶ encode (protobufjs, etcd3's own rpc.proto) ─▶ UnaryChannel (@tugboat/api, the
//           clients' bare HTTP/2 unary path) ─▶ POST /etcdserverpb.KV/<Method>
//        ◀─ decode to the objects etcd3 returns ◀─ the answer, or grpc-js's ServiceError
//
// Why not the etcd3 package's client for these: a unary call through etcd3 and @grpc/grpc-js
// cost 1.5 ms of CPU on this 2-core machine against 0.8 ms for the same request on a bare
// HTTP/2 stream (measured with TLS, one call at a time as a fleet's heartbeats arrive). The
// answers are decoded with proto-loader's conversion options as etcd3 uses them, so callers
// cannot tell the two apart; failures read as grpc-js words them ("14 UNAVAILABLE: …",
// "4 DEADLINE_EXCEEDED: …"), which storage/errors.ts and etcd-failover.ts classify. Watches,
// leases and a cluster of several members stay on etcd3, whose pool fails over between members.
import { createRequire } from 'node:module';
import { Metadata } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { UnaryChannel, type UnaryMethod } from '@tugboat/api';
import type { IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';
import type { EtcdTls } from './etcd-tls.js';

/** proto-loader's options as etcd3 uses them: the decoded shapes match etcd3's types. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true, bytes: Buffer };

let methods: { range: UnaryMethod<IRangeRequest, IRangeResponse>; txn: UnaryMethod<ITxnRequest, ITxnResponse> } | undefined;

function loadMethods(): NonNullable<typeof methods> {
  if (methods) return methods;
  const root = new protobuf.Root();
  root.loadSync(createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto'), { keepCase: true });
  const method = <Req extends object, Res>(name: string, req: string, res: string): UnaryMethod<Req, Res> => {
    const request = root.lookupType(`etcdserverpb.${req}`);
    const response = root.lookupType(`etcdserverpb.${res}`);
    return {
      path: `/etcdserverpb.KV/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value) => Buffer.from(request.encode(request.fromObject(value)).finish()),
      responseDeserialize: (bytes) => response.toObject(response.decode(bytes), TO_OBJECT) as Res,
    };
  };
  methods = { range: method('Range', 'RangeRequest', 'RangeResponse'), txn: method('Txn', 'TxnRequest', 'TxnResponse') };
  return methods;
}

export interface EtcdUnaryOptions {
  /** http://host:port or https://host:port (then with `tls`). */
  readonly endpoint: string;
  readonly tls?: EtcdTls;
}

/** One etcd member's KV service over one HTTP/2 session, opened again after it fails. */
export class EtcdUnary {
  private readonly channel: UnaryChannel;

  constructor(options: EtcdUnaryOptions) {
    loadMethods();
    const url = new URL(options.endpoint);
    const tls = options.tls;
    this.channel = new UnaryChannel(url.host, tls ? { tls: { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem } } : undefined);
  }

  range(req: IRangeRequest, deadline: number): Promise<IRangeResponse> {
    return this.call(loadMethods().range, req, deadline);
  }

  txn(req: ITxnRequest, deadline: number): Promise<ITxnResponse> {
    return this.call(loadMethods().txn, req, deadline);
  }

  close(): void {
    this.channel.close();
  }

  private call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, deadline: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.channel.call(method, req, new Metadata(), { deadline }, (err, res) => {
        if (err) reject(err);
        else resolve(res as Res);
      });
    });
  }
}
