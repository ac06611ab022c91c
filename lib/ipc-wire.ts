/**
 * ipc-wire - the two wire formats of Node's IPC channel, so that a child
 * that is a plain Node program (process.send, process.on('message'))
 * understands this end of it.
 *
 * 'json': each message is JSON.stringify's text and a newline, in UTF-8.
 * 'advanced': each message is a 4-byte big-endian length, then the bytes
 * of a v8 serializer (header, value) in which a typed array or Buffer is a
 * host object tagged 0 and written as v8 writes views, and any other host
 * object (what v8 cannot clone itself) is tagged 1 and written as a plain
 * object of its own enumerable properties, as JSON would keep it.
 */
import { StringDecoder } from 'node:string_decoder';
import v8 from 'node:v8';
import { invalidArgValue } from './errors';

/** Serialization names a wire format, as the `serialization` option does. */
export type Serialization = 'json' | 'advanced';

/** Wire turns messages into bytes and bytes back into messages. */
export interface Wire {
  /** encode gives the bytes of one message. */
  encode(message: unknown): Buffer;
  /** decode takes the next bytes read and gives every message they complete. */
  decode(chunk: Buffer): unknown[];
  /** partial is true while a message has begun but not ended. */
  readonly partial: boolean;
}

const VIEW_TAG = 0;
const OBJECT_TAG = 1;

// v8's typings leave out the host object hooks that Serializer subclasses override.
const SerializerBase = v8.DefaultSerializer as unknown as new () => v8.Serializer & {
  _writeHostObject(object: object): void;
};
const DeserializerBase = v8.DefaultDeserializer as unknown as new (data: Buffer) => v8.Deserializer & {
  _readHostObject(): unknown;
};

class HostSerializer extends SerializerBase {
  override _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object)) {
      this.writeUint32(VIEW_TAG);
      super._writeHostObject(object);
      return;
    }
    this.writeUint32(OBJECT_TAG);
    this.writeValue({ ...object });
  }
}

class HostDeserializer extends DeserializerBase {
  override _readHostObject(): unknown {
    const tag = this.readUint32();
    if (tag === VIEW_TAG) return super._readHostObject();
    if (tag !== OBJECT_TAG) throw invalidArgValue('message', tag, 'has an unknown host object tag');
    return this.readValue();
  }
}

class JsonWire implements Wire {
  #decoder = new StringDecoder('utf8');
  // The text of a line not yet ended, in pieces: joined once its newline comes.
  #pending: string[] = [];

  encode(message: unknown): Buffer {
    return Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
  }

  decode(chunk: Buffer): unknown[] {
    const lines = this.#decoder.write(chunk).split('\n');
    const rest = lines.pop()!;
    const out: unknown[] = [];
    for (const line of lines) {
      this.#pending.push(line);
      out.push(JSON.parse(this.#pending.join('')) as unknown);
      this.#pending = [];
    }
    if (rest.length > 0) this.#pending.push(rest);
    return out;
  }

  get partial(): boolean {
    return this.#pending.length > 0;
  }
}

class AdvancedWire implements Wire {
  // What has been read of messages not yet complete, joined only once one is.
  #chunks: Buffer[] = [];
  #size = 0;

  encode(message: unknown): Buffer {
    const s = new HostSerializer();
    s.writeHeader();
    s.writeValue(message);
    const body = s.releaseBuffer();
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(body.length, 0);
    return Buffer.concat([length, body]);
  }

  decode(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const out: unknown[] = [];
    while (this.#size >= 4) {
      if (this.#chunks[0]!.length < 4) this.#chunks = [Buffer.concat(this.#chunks)];
      const end = 4 + this.#chunks[0]!.readUInt32BE(0);
      if (this.#size < end) break;
      const data = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
      const d = new HostDeserializer(data.subarray(4, end));
      d.readHeader();
      out.push(d.readValue());
      this.#chunks = data.length > end ? [data.subarray(end)] : [];
      this.#size = data.length - end;
    }
    return out;
  }

  get partial(): boolean {
    return this.#size > 0;
  }
}

/** makeWire gives a fresh encoder and decoder of one format. */
export function makeWire(mode: Serialization): Wire {
  return mode === 'advanced' ? new AdvancedWire() : new JsonWire();
}
