// Reading LSP messages (Content-Length framing) so that bad input costs one message, not the
// connection. vscode-jsonrpc's reader stops for good at a header without Content-Length, and a
// Content-Length longer than its body swallows every later message; this reader drops the bad
// bytes, says so (every drop is reported), and finds the next header.
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-languageserver/node';

/** Messages larger than this are skipped unread (a 1 M-character document is about 2 MB of JSON). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A message whose body stops arriving for this long is dropped. */
const PARTIAL_MESSAGE_MS = 2000;

export interface Dropped {
  bytes: number;
  reason: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const LENGTH_FIELD = /content-length[ \t]*:[ \t]*(\d+)[ \t]*\r\n/i;
/** A header line as it starts a message: what to resynchronise on. */
const HEADER_START = /content-length[ \t]*:/i;

export class ResyncingMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of an oversized message still to discard as they arrive. */
  private skipping = 0;
  /** Where the body starts and how long it is, once a header was read. */
  private body: { start: number; length: number; scanned: number } | undefined;
  private stalled: NodeJS.Timeout | undefined;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly onDrop: (dropped: Dropped) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onError = (error: Error) => this.fireError(error);
    const onClose = () => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('close', onClose);
    this.input.on('end', onClose);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('error', onError);
        this.input.off('close', onClose);
        this.input.off('end', onClose);
        clearTimeout(this.stalled);
      },
    };
  }

  private onData(chunk: Buffer): void {
    clearTimeout(this.stalled);
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
    }
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.step());
    if (this.body) this.stalled = setTimeout(() => this.dropStalled(), PARTIAL_MESSAGE_MS);
  }

  private drop(bytes: number, reason: string): void {
    this.buffer = this.buffer.subarray(bytes);
    this.body = undefined;
    this.onDrop({ bytes, reason });
  }

  private dropStalled(): void {
    if (!this.body) return;
    const { length, start } = this.body;
    this.drop(this.buffer.length, `a message announced ${length} bytes but only ${this.buffer.length - start} came`);
  }

  /** Handles what the buffer holds next; false when more bytes are needed. */
  private step(): boolean {
    if (this.buffer.length === 0) return false;
    return this.body ? this.readBody() : this.readHeader();
  }

  private readHeader(): boolean {
    const end = this.buffer.indexOf(HEADER_END);
    const head = this.buffer.subarray(0, end < 0 ? Math.min(this.buffer.length, 4096) : end + 4).toString('latin1');
    const at = head.search(HEADER_START);
    if (at > 0) {
      this.drop(at, 'bytes that are not a message header');
      return true;
    }
    if (end < 0) {
      if (at < 0 && this.buffer.length > 4096) {
        this.drop(this.buffer.length, 'bytes that are not a message header');
        return false;
      }
      return false; // the header is still arriving
    }
    const length = LENGTH_FIELD.exec(head);
    if (!length) {
      this.drop(end + 4, 'a message header without a Content-Length');
      return true;
    }
    const size = Number(length[1]);
    if (size > MAX_MESSAGE_BYTES) {
      const here = Math.min(this.buffer.length, end + 4 + size);
      this.skipping = end + 4 + size - here;
      this.drop(here, `a message of ${size} bytes (over the limit of ${MAX_MESSAGE_BYTES})`);
      return true;
    }
    this.body = { start: end + 4, length: size, scanned: end + 4 };
    return true;
  }

  private readBody(): boolean {
    const body = this.body!;
    const available = this.buffer.length - body.start;
    // A header inside the body means the Content-Length was too long: the next message has begun.
    // Raw CR LF cannot occur inside a JSON string and the word cannot occur outside one.
    const from = Math.max(body.start, body.scanned - 24); // a header cut between two chunks
    const to = Math.min(this.buffer.length, body.start + body.length);
    const inner = this.buffer.subarray(from, to).toString('latin1').search(LENGTH_FIELD);
    body.scanned = to;
    if (inner >= 0) {
      this.drop(from + inner, `a message whose Content-Length (${body.length}) ran into the next message`);
      return true;
    }
    if (available < body.length) return false;
    const text = this.buffer.subarray(body.start, body.start + body.length).toString('utf8');
    const total = body.start + body.length;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      this.drop(total, `a message that is not JSON (${(error as Error).message})`);
      return true;
    }
    if (message === null || typeof message !== 'object' || (message as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.drop(total, 'a message that is not JSON-RPC 2.0');
      return true;
    }
    this.buffer = this.buffer.subarray(total);
    this.body = undefined;
    this.callback?.(message as Message);
    return true;
  }
}
