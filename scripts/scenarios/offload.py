#!/usr/bin/env python3
"""Turn segmentation and checksum offloads off on network devices (standard library only).

Used where the ethtool binary is missing: the legacy SIOCETHTOOL set-commands are enough to switch
off TSO, GSO, GRO, scatter-gather and TX/RX checksum offload, so a capture on a veth shows wire-sized
segments with valid checksums. Run inside the device's namespace: offload.py DEV...
Prints, per device, the features that are still on afterwards (none expected).
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# (get, set) command numbers of linux/ethtool.h for each feature
FEATURES = {
    "tso": (0x1E, 0x1F),
    "gso": (0x23, 0x24),
    "gro": (0x2B, 0x2C),
    "sg": (0x18, 0x19),
    "tx-checksum": (0x16, 0x17),
    "rx-checksum": (0x14, 0x15),
}


def ethtool_value(sock, dev, cmd, data=0):
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, data), 8)
    # struct ifreq is 40 bytes: the name, then a pointer to the ethtool command block
    ifreq = struct.pack("16sP", dev.encode(), ctypes.addressof(buf)).ljust(40, b"\0")
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)
    return struct.unpack("II", buf.raw)[1]


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    status = 0
    for dev in sys.argv[1:]:
        still_on = []
        for name, (get, set_) in FEATURES.items():
            try:
                ethtool_value(sock, dev, set_, 0)
            except OSError:
                pass  # not supported on this device: checked below
            try:
                if ethtool_value(sock, dev, get):
                    still_on.append(name)
            except OSError:
                pass
        print("%s: still on: %s" % (dev, ",".join(still_on) or "none"))
        if still_on:
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
