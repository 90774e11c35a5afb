/**
 * Face captures the sandbox's ContrastFaceVerify (ID_MIN) answers in a documented way. Each is a
 * 1×1 baseline JPEG whose comment segment (FF FE) names the outcome; any other JPEG or PNG passes
 * the face step (the ID number's own magic, see magic-numbers.ts, still applies).
 *
 * | image                  | ContrastFaceVerify            |
 * |------------------------|-------------------------------|
 * | PASS                   | Passed T, SubCode 200         |
 * | FACE_MISMATCH          | Passed F, SubCode 204         |
 * | LIVENESS_RISK          | Passed F, SubCode 205         |
 * | not a JPEG or PNG      | Code 401 (the service refuses it first) |
 */
const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////' +
    '////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

const MARKER = 'realname-sandbox:';

function withComment(text: string): Buffer {
  const comment = Buffer.from(`${MARKER}${text}`, 'ascii');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(comment.length + 2);
  return Buffer.concat([TINY_JPEG.subarray(0, 2), Buffer.from([0xff, 0xfe]), length, comment, TINY_JPEG.subarray(2)]);
}

export const SANDBOX_MAGIC_IMAGES = {
  PASS: withComment('pass'),
  FACE_MISMATCH: withComment('204'),
  LIVENESS_RISK: withComment('205'),
} as const;

/** The plain 1×1 JPEG the sandbox hands out as a liveness session's face picture. */
export const SANDBOX_FACE_PICTURE = TINY_JPEG;

/** SubCode the face step of a capture gives: the marker's, else 200. */
export function captureSubCode(image: Buffer): string {
  const at = image.indexOf(MARKER, 0, 'ascii');
  if (at < 0) return '200';
  const code = image.subarray(at + MARKER.length, at + MARKER.length + 3).toString('ascii');
  return code === '204' || code === '205' ? code : '200';
}
