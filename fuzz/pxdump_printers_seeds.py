#!/usr/bin/env python3
# Seeds for fuzz/pxdump_printers_fuzz: the protocol bytes of real part-B packets from the shared
# captures, each prefixed by the fuzz target's control byte (0x00: UDP payloads; 0x20: a 20-byte
# IPv4 header in front; 0x80: the 40-byte IPv6 header in front). Run: fuzz/pxdump_printers_seeds.py
import struct, os, hashlib, sys
caps = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'captures')
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds', 'pxdump_printers_fuzz')
files = ['ppp/DnsPackets.pcap','ppp/IcmpPackets.pcap','ppp/IgmpPackets.pcap','ppp/igmpv3_report2.pcap','ppp/Ntp.pcap',
         'ppp/Dhcp1.pcap','ppp/Dhcp2.pcap','ppp/GrePackets.cap','ppp/Vxlan1.pcap','libpcap/filter_geneve.pcap',
         'ppp/PPPoEDiscovery.pcap','ppp/PPPoESession.pcap','ppp/ip-frag.pcap','ppp/IcmpV6_NeighAdvSoli.pcap',
         'ppp/IcmpV6_Generic.pcap','ppp/DNS_NXDomain.pcap','ppp/Dns4.pcap','libpcap/filter_dhcp-rfc3004.pcap']
seen = set()
def emit(b):
    h = hashlib.sha1(b).hexdigest()[:16]
    if h in seen: return
    seen.add(h)
    open(os.path.join(out, h), 'wb').write(b)
for f in files:
    d = open(os.path.join(caps, f), 'rb').read()
    if struct.unpack('<I', d[:4])[0] not in (0xa1b2c3d4, 0xa1b23c4d): continue
    link = struct.unpack('<I', d[20:24])[0]
    if link != 1: continue
    pos, n = 24, 0
    while pos + 16 <= len(d) and n < 12:
        incl = struct.unpack('<I', d[pos+8:pos+12])[0]
        fr = d[pos+16:pos+16+incl]; pos += 16 + incl
        et = struct.unpack('!H', fr[12:14])[0]; p = 14
        if et == 0x8100: et = struct.unpack('!H', fr[16:18])[0]; p = 18
        if et in (0x8863, 0x8864): emit(b'\x00' + fr[p:]); n += 1; continue
        if et == 0x0800:
            ihl = (fr[p] & 15) * 4; proto = fr[p+9]; body = fr[p+ihl:]
            if proto == 17: emit(b'\x00' + body[8:])
            else: emit(b'\x20' + fr[p:p+20] + body)
            n += 1
        elif et == 0x86dd:
            emit(b'\x80' + fr[p:]); n += 1
print(len(seen))
