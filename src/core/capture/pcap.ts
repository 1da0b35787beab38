// Classic libpcap files: a 24-byte file header, then records of a 16-byte header + captured bytes.
// The magic number gives byte order and timestamp unit (µs or ns).
import { LinkType, type PacketRecord } from "../types.js";
import type { ChunkQueue } from "./chunk-queue.js";
import { CaptureFormatError } from "./errors.js";
import {
  type EmitRecord,
  type FormatReader,
  hex32,
  MAX_RECORD_BYTES,
  makeRecord,
  type ReaderContext,
} from "./shared.js";

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;

const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

/** Byte order and unit of a classic pcap magic read big-endian, or undefined when it is not one. */
export function pcapMagic(magicBE: number): { littleEndian: boolean; nanos: boolean } | undefined {
  switch (magicBE >>> 0) {
    case PCAP_MAGIC_US:
      return { littleEndian: false, nanos: false };
    case PCAP_MAGIC_NS:
      return { littleEndian: false, nanos: true };
    case PCAP_MAGIC_US_SWAPPED:
      return { littleEndian: true, nanos: false };
    case PCAP_MAGIC_NS_SWAPPED:
      return { littleEndian: true, nanos: true };
    default:
      return undefined;
  }
}

export class PcapReader implements FormatReader {
  frames = 0;
  started = false;
  readonly headerName = "the 24-byte pcap file header";
  private littleEndian = true;
  private nsPerUnit = 1000;
  private linkType: number = LinkType.ETHERNET;
  private readonly scratch = new Uint8Array(RECORD_HEADER_LEN);
  private readonly scratchView = new DataView(this.scratch.buffer);

  constructor(private readonly ctx: ReaderContext) {}

  drain(q: ChunkQueue, emit: EmitRecord): void {
    if (!this.started) {
      if (q.length < FILE_HEADER_LEN) return;
      this.readFileHeader(q.consume(FILE_HEADER_LEN));
    }
    const le = this.littleEndian;
    const nsPerUnit = this.nsPerUnit;
    const linkType = this.linkType;
    const reused = this.ctx.record;
    let frame = this.frames;
    try {
      for (;;) {
        // Records lying whole inside the head chunk: read in place.
        const buf = q.head;
        const dv = q.headView;
        const start = q.headPos;
        const end = buf.length;
        let p = start;
        while (end - p >= RECORD_HEADER_LEN) {
          const capLen = dv.getUint32(p + 8, le);
          if (capLen > MAX_RECORD_BYTES) {
            q.skip(p - start);
            throw badLength(capLen, q.offset);
          }
          const next = p + RECORD_HEADER_LEN + capLen;
          if (next > end) break;
          // The record is read where it lies in the chunk: no view is made per packet.
          const rec = record(
            reused,
            dv,
            p,
            le,
            nsPerUnit,
            linkType,
            ++frame,
            buf,
            p + RECORD_HEADER_LEN,
            capLen,
          );
          p = next;
          emit(rec);
        }
        if (p !== start) q.skip(p - start);

        // A record straddling chunks: gather it into one fresh buffer.
        if (q.length < RECORD_HEADER_LEN) return;
        q.peekInto(this.scratch, RECORD_HEADER_LEN);
        const capLen = this.scratchView.getUint32(8, le);
        if (capLen > MAX_RECORD_BYTES) throw badLength(capLen, q.offset);
        if (q.length < RECORD_HEADER_LEN + capLen) return;
        const bytes = q.consume(RECORD_HEADER_LEN + capLen);
        emit(
          record(
            reused,
            this.scratchView,
            0,
            le,
            nsPerUnit,
            linkType,
            ++frame,
            bytes,
            RECORD_HEADER_LEN,
            capLen,
          ),
        );
      }
    } finally {
      this.frames = frame;
    }
  }

  private readFileHeader(h: Uint8Array): void {
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const magic = pcapMagic(dv.getUint32(0, false));
    if (!magic) {
      throw new CaptureFormatError("BAD_MAGIC", 0, `bad pcap magic ${hex32(dv.getUint32(0, false))}`);
    }
    const le = magic.littleEndian;
    const major = dv.getUint16(4, le);
    const minor = dv.getUint16(6, le);
    if (major !== 2) {
      throw new CaptureFormatError(
        "BAD_VERSION",
        4,
        `unsupported pcap version ${major}.${minor}: expected major version 2`,
      );
    }
    const snaplen = dv.getUint32(16, le);
    // The top bits of the link-type field carry FCS information (libpcap LT_FCS_*), not the type.
    this.linkType = dv.getUint32(20, le) & 0xffff;
    this.littleEndian = le;
    this.nsPerUnit = magic.nanos ? 1 : 1000;
    const info = this.ctx.info;
    info.format = "pcap";
    info.tsPrecision = magic.nanos ? 9 : 6;
    info.interfaces.push({ linkType: this.linkType, snaplen });
    this.started = true;
  }
}

/** The record whose 16-byte header starts at `at`; `data` is its captured bytes. */
function record(
  reused: PacketRecord | undefined,
  hv: DataView,
  at: number,
  le: boolean,
  nsPerUnit: number,
  linkType: number,
  frame: number,
  bytes: Uint8Array,
  start: number,
  capLen: number,
): PacketRecord {
  let tsSec = hv.getUint32(at, le);
  let tsNsec = hv.getUint32(at + 4, le) * nsPerUnit;
  // Some writers leave a second or more in the sub-second field: carry it into the seconds.
  if (tsNsec >= 1_000_000_000) {
    tsSec += Math.floor(tsNsec / 1_000_000_000);
    tsNsec %= 1_000_000_000;
  }
  return makeRecord(
    reused,
    frame,
    tsSec,
    tsNsec,
    0,
    linkType,
    capLen,
    hv.getUint32(at + 12, le),
    bytes,
    start,
  );
}

function badLength(capLen: number, offset: number): CaptureFormatError {
  return new CaptureFormatError(
    "BAD_RECORD_LENGTH",
    offset,
    `impossible pcap record: captured length ${capLen} exceeds ${MAX_RECORD_BYTES} bytes (expected a 16-byte record header)`,
  );
}
