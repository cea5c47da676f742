#!/usr/bin/env python3
# Seeds for fuzz/pxdump_packet_fuzz: Ethernet frames of the printer tests' crafted captures (IPv6
# extension headers, TCP and IPv4 options, DNS over TCP, DNS records, ICMP) and of a few shared
# captures, each prefixed by the target's control byte (link type Ethernet, a verbosity) and the
# count of bytes missing from the capture (0, or 40 for a cut frame). Run: fuzz/pxdump_packet_seeds.py
import hashlib, os, struct
here = os.path.dirname(os.path.abspath(__file__))
crafted = os.path.join(here, '..', 'tests', 'unit', 'pxdump_printers', 'data')
caps = os.path.join(here, '..', '..', 'shared', 'captures')
out = os.path.join(here, 'seeds', 'pxdump_packet_fuzz')
os.makedirs(out, exist_ok=True)
files = [os.path.join(crafted, f) for f in ('ipv6_ext_headers.pcap', 'tcp_ip_options.pcap', 'dns_tcp.pcap',
                                            'dns_records.pcap', 'icmp6_errors.pcap', 'gre_v0.pcap', 'rpl.pcap',
                                            'icmp_quoted_lengths.pcap')]
files += [os.path.join(caps, f) for f in ('ppp/Vxlan1.pcap', 'libpcap/filter_geneve.pcap', 'ppp/ip-frag.pcap',
                                          'ppp/IcmpV6_NeighAdvSoli.pcap', 'ppp/IgmpPackets.pcap')]
for path in files:
    d = open(path, 'rb').read()
    if struct.unpack('<I', d[:4])[0] != 0xa1b2c3d4 or struct.unpack('<I', d[20:24])[0] != 1:
        continue
    pos, n = 24, 0
    while pos + 16 <= len(d) and n < 8:
        incl = struct.unpack('<I', d[pos + 8:pos + 12])[0]
        frame = d[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        n += 1
        for control, missing, cut in ((n % 4) << 2, 0, len(frame)), (0x04 | (n & 1) << 6, 40, max(34, len(frame) - 40)):
            seed = bytes([control, missing]) + frame[:cut]
            open(os.path.join(out, hashlib.sha1(seed).hexdigest()[:16]), 'wb').write(seed)
