// Request and response types of the services, taken from the service definitions that
// @tugboat/api loads (themselves generated from proto/), so they cannot drift from the protos.
import type { loadProtos } from '@tugboat/api';

type Protos = ReturnType<typeof loadProtos>;
type ServiceOf<S extends 'Objects' | 'Server' | 'Pods' | 'Auth'> = Protos['tugboat']['v1'][S]['service'];

interface AnyMethod {
  requestDeserialize: (bytes: Buffer) => unknown;
  responseSerialize: (value: never) => Buffer;
}

type RequestOf<M> = M extends AnyMethod ? ReturnType<M['requestDeserialize']> : never;
type ResponseOf<M> = M extends { responseSerialize: (value: infer R) => Buffer } ? R : never;

export type ObjectsService = ServiceOf<'Objects'>;
export type ObjectsRequest<K extends keyof ObjectsService> = RequestOf<ObjectsService[K]>;
export type ObjectsResponse<K extends keyof ObjectsService> = ResponseOf<ObjectsService[K]>;

export type ServerService = ServiceOf<'Server'>;
export type PodsService = ServiceOf<'Pods'>;
export type LogsRequest = RequestOf<PodsService['Logs']>;
export type LogChunk = ResponseOf<PodsService['Logs']>;
export type ExecRequest = RequestOf<PodsService['Exec']>;
export type ExecResponse = ResponseOf<PodsService['Exec']>;
export type VersionResponse = ResponseOf<ServerService['Version']>;
export type NodeHeartbeatRequest = RequestOf<ServerService['NodeHeartbeat']>;
export type NodeHeartbeatResponse = ResponseOf<ServerService['NodeHeartbeat']>;
export type AuthService = ServiceOf<'Auth'>;
export type ReviewRequest = RequestOf<AuthService['Review']>;
export type ReviewResponse = ResponseOf<AuthService['Review']>;
export type CreateTokenRequest = RequestOf<AuthService['CreateToken']>;
