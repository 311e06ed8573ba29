#!/usr/bin/env python3
"""Which fields of the Kubernetes API structs are Go pointers, from kubectl's binary.

Not run by the test suite. src/kube/protobuf.c keeps a zero scalar from a protobuf
body only where zero is a value the client chose: required fields, and fields that
are pointers in Go (*int32 replicas, *bool automountServiceAccountToken, ...). This
script recovers the pointer fields from the Go runtime type data in a statically
linked, non-PIE kubectl (struct field names carry their tags, json:"..." and
protobuf:"...", and point at their field types), follows structs embedded inline
(json:",inline") into the struct that embeds them, and prints the keys protobuf.c's
pointer_fields table uses ("apps.v1.DeploymentSpec.replicas"), sorted, for the
definition names read from stdin (one per line, e.g. io.k8s.api.apps.v1.DeploymentSpec):

    curl -sk https://127.0.0.1:PORT/openapi/v2 -H "Authorization: Bearer $TOKEN" |
      jq -r '.definitions | keys[]' | python3 kubectl_types.py > keys.txt
"""
import re
import struct
import sys

KIND_STRUCT, KIND_PTR = 25, 22
SCALARS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 24}   # bool, ints, floats, string


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else '/usr/bin/kubectl'
    data = open(path, 'rb').read()
    phoff, = struct.unpack_from('<Q', data, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, p_off, p_va, _, p_sz = struct.unpack_from('<IIQQQQ', data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((p_va, p_off, p_sz))

    def off(va):
        for v, o, s in segs:
            if v <= va < v + s:
                return va - v + o
        return None

    def va(o):
        for v, oo, s in segs:
            if oo <= o < oo + s:
                return o - oo + v
        return None

    def uvarint(i):
        v = s = 0
        while True:
            c = data[i]
            i += 1
            v |= (c & 0x7f) << s
            s += 7
            if not c & 0x80:
                return v, i

    # .rodata holds the type data; name offsets count from its start
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    shstr_off = struct.unpack_from('<Q', data, shoff + shstrndx * shentsize + 0x18)[0]
    rodata = None
    for i in range(shnum):
        sh = shoff + i * shentsize
        name_off, = struct.unpack_from('<I', data, sh)
        name = data[shstr_off + name_off:data.index(b'\0', shstr_off + name_off)]
        if name == b'.rodata':
            rodata = struct.unpack_from('<Q', data, sh + 0x10)[0]

    def name_at(addr):
        o = off(addr)
        n, e = uvarint(o + 1)
        return data[e:e + n].decode('utf-8', 'replace')

    # 1. field names that carry a json tag: [flags][len][name][taglen][tag]
    names = {}
    for m in re.finditer(rb'json:"', data):
        j = m.start()
        for tl in (1, 2):
            try:
                n, e = uvarint(j - tl)
            except IndexError:
                continue
            if e != j:
                continue
            tag = data[j:j + n]
            k = j - tl
            for ln in range(1, 64):
                if (k - ln - 2 >= 0 and data[k - ln - 1] == ln and data[k - ln - 2] & 2 and
                        data[k - ln - 2] < 16 and re.fullmatch(rb'[A-Za-z_]\w*', data[k - ln:k])):
                    names[va(k - ln - 2)] = tag.decode('utf-8', 'replace')
                    break
    # 2. struct fields {name, type, offset} that use them, grouped into field arrays
    fields = {}
    for v, o, s in segs:
        for i, (q,) in enumerate(struct.iter_unpack('<Q', data[o:o + s // 8 * 8])):
            if q in names:
                typ, foff = struct.unpack_from('<QQ', data, o + i * 8 + 8)
                to = off(typ)
                if to is not None:
                    fields[v + i * 8] = (names[q], typ, foff)
    arrays = []
    for a in sorted(fields):
        if arrays and arrays[-1][-1][0] == a - 24 and fields[a][2] > arrays[-1][-1][1][2]:
            arrays[-1].append((a, fields[a]))
        else:
            arrays.append([(a, fields[a])])
    starts = {arr[0][0]: arr for arr in arrays}
    # 3. the struct types whose Fields slice points at an array: name and package
    structs = {}   # type address -> (package.Name, fields)
    for v, o, s in segs:
        buf = data[o:o + s // 8 * 8]
        for i, (q,) in enumerate(struct.iter_unpack('<Q', buf)):
            if q in starts and (i + 2) * 8 < len(buf):
                ln, cp = struct.unpack_from('<QQ', buf, (i + 1) * 8)
                if ln != cp or ln < len(starts[q]) or ln > 200:
                    continue
                t = v + i * 8 - 56
                to = off(t)
                if data[to + 23] & 0x1f != KIND_STRUCT or not data[to + 20] & 1:
                    continue
                tname = name_at(rodata + struct.unpack_from('<i', data, to + 40)[0]).lstrip('*')
                pkg = name_at(rodata + struct.unpack_from('<i', data, to + 80)[0])
                structs[t] = (pkg + '.' + tname.split('.')[-1], starts[q])

    def kind(typ):
        return data[off(typ) + 23] & 0x1f

    def elem(typ):
        return struct.unpack_from('<Q', data, off(typ) + 48)[0]

    def pointers(t, seen=()):
        """JSON names of pointer-to-scalar fields of struct t, through inline structs."""
        out = []
        for _, (tag, typ, _) in structs[t][1]:
            jm = re.search(r'json:"([^"]*)"', tag)
            parts = jm.group(1).split(',') if jm else ['']
            if 'inline' in parts[1:] and kind(typ) == KIND_STRUCT and typ in structs and typ not in seen:
                out += pointers(typ, seen + (t,))
            elif kind(typ) == KIND_PTR and kind(elem(typ)) in SCALARS and parts[0]:
                out.append(parts[0])
        return out

    by_name = {n: t for t, (n, _) in structs.items()}
    keys = []
    for line in sys.stdin:
        d = line.strip()
        if not d.startswith('io.k8s.'):
            continue
        pkg, tname = d.rsplit('.', 1)
        gname = 'k8s.io/' + pkg[len('io.k8s.'):].replace('.', '/') + '.' + tname
        t = by_name.get(gname)
        if t is None:
            continue
        short = d
        for p in ('io.k8s.api.', 'io.k8s.apimachinery.pkg.apis.'):
            if d.startswith(p):
                short = d[len(p):]
        keys += [short + '.' + f for f in pointers(t)]
    for k in sorted(set(keys)):
        print(k)


if __name__ == '__main__':
    main()
