/** Builds multipart/form-data bodies byte by byte for upload scenarios. */
export interface FilePart {
  field: string;
  filename: string;
  type: string;
  data: Buffer;
}

export const BOUNDARY = '----pagi-diff-boundary-7MA4YWxkTrZu0gW';

export function multipartBody(fields: Record<string, string>, files: FilePart[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

export const multipartType: [string, string] = ['Content-Type', `multipart/form-data; boundary=${BOUNDARY}`];
