// A source of bearer-token identities (static tokens, ServiceAccount JWTs).
import type { UserInfo } from '@tugboat/api';

/** The user a token names, until when that answer may be reused; undefined: not a token of this source. */
export type TokenResult = { readonly user: UserInfo; readonly expiresAt?: number } | undefined;

export interface TokenAuthenticator {
  authenticate(token: string): Promise<TokenResult>;
}
