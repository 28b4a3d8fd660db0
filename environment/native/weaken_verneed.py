#!/usr/bin/env python3
"""Mark one version requirement of an ELF shared object as weak (VER_FLG_WEAK), in place.

ENVIRONMENT Trap 1: with the GLIBCXX_3.4.32 requirement weak, glibc's loader accepts a libstdc++ that lacks that
version (the only symbol that needs it comes from our shim). Usage: weaken_verneed.py FILE VERSION
Exit 0 when the flag is set (already or now), 3 when FILE has no such requirement.
"""
import struct
import sys

VER_FLG_WEAK = 0x2


def main(path: str, version: str) -> int:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a 64-bit little-endian ELF file")
        e_shoff, = struct.unpack_from("<Q", data, 0x28)
        e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
        SHT_GNU_verneed = 0x6FFFFFFE
        for sh in sections:
            if sh[1] != SHT_GNU_verneed:
                continue
            strtab_off = sections[sh[6]][4]  # sh_link -> .dynstr
            def name_at(off: int) -> str:
                end = data.index(b"\0", strtab_off + off)
                return data[strtab_off + off:end].decode()
            vn = sh[4]
            while True:
                _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
                aux = vn + vn_aux
                for _ in range(vn_cnt):
                    _, flags, _, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                    if name_at(vna_name) == version:
                        if not flags & VER_FLG_WEAK:
                            struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                            f.seek(0)
                            f.write(data)
                        return 0
                    if vna_next == 0:
                        break
                    aux += vna_next
                if vn_next == 0:
                    break
                vn += vn_next
    return 3


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
