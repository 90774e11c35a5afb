import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { isGraphQLErrorList, RealnameError } from './errors.js';

/** The part of `fetch` the client uses; mini-programs pass `wechatFetch(wx)` / `alipayFetch(my)`. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string | ArrayBuffer },
) => Promise<{ status: number; json(): Promise<unknown> }>;

export type TokenSource = string | (() => string | Promise<string>);

export const readToken = async (token: TokenSource) => (typeof token === 'function' ? await token() : token);

export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

/** One GraphQL operation over HTTP POST; a refusal becomes a RealnameError with the server's message. */
export async function postOperation<TResult, TVariables>(
  fetchImpl: FetchLike,
  url: string,
  token: TokenSource,
  document: Document<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  let body: unknown;
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await readToken(token)}` },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    body = await response.json();
  } catch (error) {
    throw RealnameError.network(error);
  }
  const { data, errors } = (body ?? {}) as { data?: TResult | null; errors?: unknown };
  if (isGraphQLErrorList(errors) && errors.length) throw RealnameError.fromGraphQL(errors);
  if (!data) throw new RealnameError('INTERNAL_SERVER_ERROR', '服务内部错误,请稍后再试');
  return data;
}

/** The WeChat path's photo: a raw JPEG or PNG body to the verification's `faceCaptureUrl`. */
export async function postFaceCapture(fetchImpl: FetchLike, url: string, token: TokenSource, image: ArrayBuffer, contentType: 'image/jpeg' | 'image/png') {
  let body: unknown;
  try {
    const response = await fetchImpl(url, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json', authorization: `Bearer ${await readToken(token)}` }, body: image });
    body = await response.json();
  } catch (error) {
    throw RealnameError.network(error);
  }
  const { verification, errors } = (body ?? {}) as { verification?: { id: string; status: string; failureReason: { code: string; message: string } | null }; errors?: unknown };
  if (isGraphQLErrorList(errors) && errors.length) throw RealnameError.fromGraphQL(errors);
  if (!verification) throw new RealnameError('INTERNAL_SERVER_ERROR', '服务内部错误,请稍后再试');
  return verification;
}
