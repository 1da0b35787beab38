// pcapng files: a sequence of blocks (type, total length, body, total length again). Each section
// starts with a Section Header Block that sets the byte order of everything up to the next one;
// Interface Description Blocks declare link type and timestamp resolution, numbered per section.
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
import {
  MICROSECONDS,
  type SplitTime,
  splitTimestamp,
  type TsResolution,
  tsResolution,
} from "./timestamp.js";

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_OPB = 0x00000002; // obsolete Packet Block
export const BLOCK_SPB = 0x00000003;
export const BLOCK_ISB = 0x00000005;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;

/** Smallest total length of a block of this type that we read fields from. */
function minBlockLength(type: number): number {
  switch (type) {
    case BLOCK_EPB:
    case BLOCK_OPB:
      return 32;
    case BLOCK_SHB:
      return 28;
    case BLOCK_ISB:
      return 24;
    case BLOCK_IDB:
      return 20;
    case BLOCK_SPB:
      return 16;
    default:
      return 12;
  }
}

const BLOCK_NAMES: Record<number, string> = {
  [BLOCK_SHB]: "section header block",
  [BLOCK_IDB]: "interface description block",
  [BLOCK_OPB]: "packet block",
  [BLOCK_SPB]: "simple packet block",
  [BLOCK_ISB]: "interface statistics block",
  [BLOCK_EPB]: "enhanced packet block",
};

interface SectionInterface {
  /** Index in CaptureFileInfo.interfaces (global across sections). */
  id: number;
  linkType: number;
  snaplen: number;
  res: TsResolution;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export class PcapngReader implements FormatReader {
  frames = 0;
  started = false;
  readonly headerName = "the pcapng section header block";
  private littleEndian = true;
  private section: SectionInterface[] = [];
  /** Latest isb_ifdrop + isb_osdrop per global interface id (the counters are cumulative). */
  private readonly drops = new Map<number, number>();
  private readonly time: SplitTime = { sec: 0, nsec: 0 };
  private readonly scratch = new Uint8Array(12);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private sectionNo = 0;
  private readonly warnedInterfaces = new Set<string>();

  constructor(private readonly ctx: ReaderContext) {}

  drain(q: ChunkQueue, emit: EmitRecord): void {
    for (;;) {
      // Blocks lying whole inside the head chunk: read in place.
      const buf = q.head;
      const dv = q.headView;
      const start = q.headPos;
      const end = buf.length;
      let p = start;
      try {
        while (end - p >= 12) {
          const len = this.blockLength(dv, p, q.offset + (p - start));
          if (end - p < len) break;
          const at = p;
          p += len;
          this.block(buf, dv, at, len, q.offset + (at - start), emit);
        }
      } finally {
        if (p !== start) q.skip(p - start);
      }

      // A block straddling chunks: gather it into one fresh buffer.
      if (q.length < 12) return;
      q.peekInto(this.scratch, 12);
      const offset = q.offset;
      const len = this.blockLength(this.scratchView, 0, offset);
      if (q.length < len) return;
      const bytes = q.consume(len);
      this.block(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, len, offset, emit);
    }
  }

  /** Reads and checks the total length of the block at p (switching byte order at a section header). */
  private blockLength(dv: DataView, p: number, offset: number): number {
    const type = dv.getUint32(p, this.littleEndian);
    if (type === BLOCK_SHB) {
      const bom = dv.getUint32(p + 8, false);
      if (bom === BYTE_ORDER_MAGIC) this.littleEndian = false;
      else if (bom === 0x4d3c2b1a) this.littleEndian = true;
      else {
        throw new CaptureFormatError(
          "BAD_MAGIC",
          offset + 8,
          `bad pcapng byte-order magic ${hex32(bom)}: expected 1a2b3c4d in either byte order`,
        );
      }
    } else if (!this.started) {
      throw new CaptureFormatError(
        "NO_SECTION",
        offset,
        `pcapng block type ${hex32(type)} before any section header: expected a section header block (0a0d0d0a)`,
      );
    }
    const len = dv.getUint32(p + 4, this.littleEndian);
    const min = minBlockLength(type);
    if (len < min || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
      const name = BLOCK_NAMES[type] ?? `block type ${hex32(type)}`;
      throw new CaptureFormatError(
        "BAD_BLOCK_LENGTH",
        offset,
        `impossible pcapng ${name} length ${len}: expected a multiple of 4 between ${min} and ${MAX_RECORD_BYTES}`,
      );
    }
    return len;
  }

  private block(
    buf: Uint8Array,
    dv: DataView,
    p: number,
    len: number,
    offset: number,
    emit: EmitRecord,
  ): void {
    const le = this.littleEndian;
    if (dv.getUint32(p + len - 4, le) !== len) {
      throw new CaptureFormatError(
        "BAD_BLOCK_TRAILER",
        offset + len - 4,
        `pcapng block trailer length ${dv.getUint32(p + len - 4, le)} does not match the header's ${len} (block at byte ${offset})`,
      );
    }
    const type = dv.getUint32(p, le);
    // The obsolete Packet Block has the Enhanced one's layout, but a 16-bit interface id (then a
    // drop count) where the Enhanced block has a 32-bit one.
    if (type === BLOCK_EPB || type === BLOCK_OPB) {
      const iface = this.iface(
        type === BLOCK_EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le),
        offset,
      );
      const capLen = dv.getUint32(p + 20, le);
      if (capLen > len - 32) throw tooLong(BLOCK_NAMES[type], capLen, len - 32, offset);
      if (!iface) return;
      this.timestamp(dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), iface);
      emit(
        makeRecord(
          this.ctx.record,
          ++this.frames,
          this.time.sec,
          this.time.nsec,
          iface.id,
          iface.linkType,
          capLen,
          dv.getUint32(p + 24, le),
          buf,
          p + 28,
        ),
      );
      return;
    }
    switch (type) {
      case BLOCK_SHB:
        this.sectionHeader(dv, p, offset);
        return;
      case BLOCK_IDB:
        this.interfaceDescription(buf, dv, p, len, offset);
        return;
      case BLOCK_SPB:
        this.simplePacket(buf, dv, p, len, offset, emit);
        return;
      case BLOCK_ISB:
        this.interfaceStatistics(dv, p, len, offset);
        return;
      default:
        // Name resolution, decryption secrets, custom and future blocks carry no packets.
        return;
    }
  }

  private sectionHeader(dv: DataView, p: number, offset: number): void {
    const le = this.littleEndian;
    const major = dv.getUint16(p + 12, le);
    const minor = dv.getUint16(p + 14, le);
    if (major !== 1) {
      throw new CaptureFormatError(
        "BAD_VERSION",
        offset + 12,
        `unsupported pcapng version ${major}.${minor}: expected major version 1`,
      );
    }
    this.section = [];
    this.sectionNo++;
    if (!this.started) {
      this.started = true;
      this.ctx.info.format = "pcapng";
      this.ctx.info.tsPrecision = MICROSECONDS.digits;
    }
  }

  private interfaceDescription(buf: Uint8Array, dv: DataView, p: number, len: number, offset: number): void {
    const le = this.littleEndian;
    const linkType = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    let res = MICROSECONDS;
    let tsOffset = 0;
    let name: string | undefined;
    this.options(dv, p + 16, p + len - 4, offset + 16, (code, at, size) => {
      if (code === OPT_IF_TSRESOL && size >= 1) res = tsResolution(buf[at]);
      else if (code === OPT_IF_TSOFFSET && size >= 8) tsOffset = Number(dv.getBigInt64(at, le));
      else if (code === OPT_IF_NAME && size > 0)
        name = utf8.decode(buf.subarray(at, at + size)).replace(/\0+$/, "");
    });
    const info = this.ctx.info;
    const id = info.interfaces.length;
    // The file's precision is that of its finest interface.
    if (id === 0 || res.digits > info.tsPrecision) info.tsPrecision = res.digits;
    info.interfaces.push(name === undefined ? { linkType, snaplen } : { linkType, snaplen, name });
    this.section.push({ id, linkType, snaplen, res, tsOffset });
  }

  private simplePacket(
    buf: Uint8Array,
    dv: DataView,
    p: number,
    len: number,
    offset: number,
    emit: EmitRecord,
  ): void {
    const iface = this.iface(0, offset);
    if (!iface) return;
    const origLen = dv.getUint32(p + 8, this.littleEndian);
    // The block has no captured-length field: it is the original length cut to the snaplen.
    let capLen = Math.min(origLen, len - 16);
    if (iface.snaplen > 0 && capLen > iface.snaplen) capLen = iface.snaplen;
    emit(
      makeRecord(
        this.ctx.record,
        ++this.frames,
        0,
        0,
        iface.id,
        iface.linkType,
        capLen,
        origLen,
        buf,
        p + 12,
      ),
    );
  }

  private interfaceStatistics(dv: DataView, p: number, len: number, offset: number): void {
    const le = this.littleEndian;
    const iface = this.iface(dv.getUint32(p + 8, le), offset);
    if (!iface) return;
    let ifdrop = 0;
    let osdrop = 0;
    this.options(dv, p + 20, p + len - 4, offset + 20, (code, at, size) => {
      if (size < 8) return;
      // All-ones means "unknown" for these counters.
      const v = dv.getBigUint64(at, le);
      if (v === 0xffffffffffffffffn) return;
      if (code === OPT_ISB_IFDROP) ifdrop = Number(v);
      else if (code === OPT_ISB_OSDROP) osdrop = Number(v);
    });
    const dropped = ifdrop + osdrop;
    const before = this.drops.get(iface.id);
    this.drops.set(iface.id, dropped);
    const info = this.ctx.info;
    let total = 0;
    for (const v of this.drops.values()) total += v;
    info.droppedByInterface = total;
    if (dropped > 0 && dropped !== before) {
      const name = info.interfaces[iface.id].name;
      this.ctx.warn({
        code: "INTERFACE_DROPS",
        offset,
        message: `interface ${iface.id}${name ? ` (${name})` : ""} reports ${dropped} packets dropped during capture (isb_ifdrop ${ifdrop}, isb_osdrop ${osdrop})`,
      });
    }
  }

  /** Walks the options between start and end, calling back with (code, value offset, value length). */
  private options(
    dv: DataView,
    start: number,
    end: number,
    offset: number,
    onOption: (code: number, at: number, size: number) => void,
  ): void {
    const le = this.littleEndian;
    let p = start;
    while (end - p >= 4) {
      const code = dv.getUint16(p, le);
      const size = dv.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) return;
      if (p + 4 + size > end) {
        this.ctx.warn({
          code: "BAD_OPTION",
          offset: offset + (p - start),
          message: `pcapng option ${code} of length ${size} runs past the end of its block; later options ignored`,
        });
        return;
      }
      onOption(code, p + 4, size);
      p += 4 + ((size + 3) & ~3);
    }
  }

  private iface(localId: number, offset: number): SectionInterface | undefined {
    const iface = this.section[localId];
    if (iface) return iface;
    const key = `${this.sectionNo}:${localId}`;
    if (!this.warnedInterfaces.has(key)) {
      this.warnedInterfaces.add(key);
      this.ctx.warn({
        code: "UNKNOWN_INTERFACE",
        offset,
        message: `pcapng block refers to interface ${localId} but its section declares ${this.section.length}; its packets are skipped`,
      });
    }
    return undefined;
  }

  private timestamp(hi: number, lo: number, iface: SectionInterface): void {
    splitTimestamp(hi, lo, iface.res, this.time);
    if (iface.tsOffset !== 0) this.time.sec += iface.tsOffset;
  }
}

function tooLong(name: string, capLen: number, room: number, offset: number): CaptureFormatError {
  return new CaptureFormatError(
    "BAD_BLOCK",
    offset,
    `pcapng ${name} captured length ${capLen} exceeds the ${room} bytes of packet data the block has room for`,
  );
}
