/** The face-image formats Aliyun takes (JPEG, PNG), told by their first bytes, never by a client's label. */
export function faceImageTypeOf(image: Buffer): 'image/jpeg' | 'image/png' | undefined {
  if (image.length > 3 && image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff) return 'image/jpeg';
  if (image.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}
