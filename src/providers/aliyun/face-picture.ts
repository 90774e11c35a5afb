import { faceImageTypeOf } from '../../domain/face-image.js';

/** Aliyun asks for face photos under 1 MB; anything much larger is not the picture we asked for. */
export const MAX_FACE_PICTURE_BYTES = 2 * 1024 * 1024;

/**
 * Reads `facialPictureFront.pictureUrl` once. The link is a short-lived OSS URL that holds
 * biometric data: it is never logged, and a failure only means no picture is kept.
 */
export async function fetchFacePicture(url: string, timeoutMs: number): Promise<Buffer | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (!response.ok || !response.body || declared > MAX_FACE_PICTURE_BYTES) {
      await response.body?.cancel();
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Uint8Array).length;
      if (size > MAX_FACE_PICTURE_BYTES) return undefined;
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    const image = Buffer.concat(chunks);
    return faceImageTypeOf(image) ? image : undefined;
  } catch {
    return undefined;
  }
}

