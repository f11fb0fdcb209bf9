/** A reader of the protobuf wire format (protobuf encoding guide), for checking what the proxy writes. */

/** One field of a protobuf message, as the wire format has it. */
interface Field {
  field: number;
  wireType: number;
  value: number | Buffer;
}

export function readVarint(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, at];
  }
}

/** The fields of one message (wire types 0, 1 and 2 only). */
export function fields(message: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < message.length) {
    const [key, next] = readVarint(message, at);
    const wireType = key & 7;
    at = next;
    if (wireType === 0) {
      const [value, after] = readVarint(message, at);
      out.push({ field: key >> 3, wireType, value });
      at = after;
    } else if (wireType === 1) {
      out.push({ field: key >> 3, wireType, value: message.readDoubleLE(at) });
      at += 8;
    } else if (wireType === 2) {
      const [length, start] = readVarint(message, at);
      out.push({ field: key >> 3, wireType, value: message.subarray(start, start + length) });
      at = start + length;
    } else throw new Error(`wire type ${wireType}`);
  }
  return out;
}

/** Splits a delimited stream into its messages. */
export function messages(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const [length, start] = readVarint(stream, at);
    out.push(stream.subarray(start, start + length));
    at = start + length;
  }
  return out;
}

/** name, help, type and the gauge value of a MetricFamily with one sample. */
export function gaugeFamily(message: Buffer): { name: string; help: string; type: number; value: number } {
  const f = fields(message);
  const metric = fields(f.find((x) => x.field === 4)?.value as Buffer);
  const gauge = fields(metric.find((x) => x.field === 2)?.value as Buffer);
  return {
    name: String(f.find((x) => x.field === 1)?.value),
    help: String(f.find((x) => x.field === 2)?.value),
    type: f.find((x) => x.field === 3)?.value as number,
    value: gauge.find((x) => x.field === 1)?.value as number,
  };
}

/** The name of a MetricFamily message (field 1). */
export function familyName(message: Buffer): string {
  return String(fields(message).find((x) => x.field === 1)?.value);
}
