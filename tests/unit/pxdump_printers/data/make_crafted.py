#!/usr/bin/env python3
# Crafted frames for the printer tests: every DNS type and class, every ICMP/ICMPv6 type, ND options,
# ICMPv6 errors, MLD, GRE v0 flag combinations, NTP field variants and every DHCP option name (a
# Parameter-Request list of 1..254). tcpdump is the oracle for their text (the test runs it).
# Run in this directory: ./make_crafted.py
import struct,sys
def pcap(frames, path):
    with open(path,'wb') as f:
        f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
        for i,fr in enumerate(frames):
            f.write(struct.pack('<IIII',i,0,len(fr),len(fr))); f.write(fr)
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff
def ip(proto,payload,src=b'\x0a\0\0\x01',dst=b'\x0a\0\0\x02'):
    h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(payload),1,0,64,proto,0,src,dst)
    h=h[:10]+struct.pack('!H',csum(h))+h[12:]
    return b'\0\1\2\3\4\5\0\6\7\x08\x09\x0a\x08\x00'+h+payload
def udp(sp,dp,payload):
    return ip(17,struct.pack('!HHHH',sp,dp,8+len(payload),0)+payload)
q=lambda t,c=1: struct.pack('!HHHHHH',1,0x0100,1,0,0,0)+b'\x01a\x00'+struct.pack('!HH',t,c)
frames=[udp(1000,53,q(t)) for t in range(0,300)]+[udp(1000,53,q(t)) for t in (32768,32769,65535)]
frames+=[udp(1000,53,q(1,c)) for c in range(0,260)]
pcap(frames, "dns_types_classes.pcap")


def ip6(nh, payload, src=bytes.fromhex('fe800000000000000000000000000001'),
        dst=bytes.fromhex('fe800000000000000000000000000002')):
    h = struct.pack('!IHBB', 0x60000000, len(payload), nh, 255) + src + dst
    return b'\0\1\2\3\4\5\0\6\7\x08\x09\x0a\x86\xdd' + h + payload


def icmp6(t, c, body):
    return ip6(58, struct.pack('!BBH', t, c, 0) + body)


pcap([icmp6(t, 0, b'\0' * 28) for t in range(256)], 'icmp6_types.pcap')
pcap([ip(1, struct.pack('!BBH', t, 0, 0) + b'\0' * 28) for t in range(256)], 'icmp_types.pcap')

# Neighbor Discovery with options.
slla = b'\x01\x01' + bytes.fromhex('001122334455')
tlla = b'\x02\x01' + bytes.fromhex('001122334455')
mtu = b'\x05\x01\x00\x00' + struct.pack('!I', 1500)
pfx = b'\x03\x04\x40\xc0' + struct.pack('!III', 86400, 14400, 0) + bytes.fromhex('20010db8000000000000000000000000')
rdnss = b'\x19\x03\x00\x00' + struct.pack('!I', 600) + bytes.fromhex('20010db8000000000000000000000053')
unk = b'\x63\x01' + b'\xaa' * 6
tgt = bytes.fromhex('fe800000000000000000000000000099')
fr = [icmp6(135, 0, b'\0' * 4 + tgt + slla), icmp6(136, 0, b'\xe0\0\0\0' + tgt + tlla),
      icmp6(134, 0, struct.pack('!BBHII', 64, 0xc8, 1800, 30000, 1000) + slla + mtu + pfx + rdnss + unk),
      icmp6(133, 0, b'\0' * 4 + slla),
      icmp6(137, 0, b'\0' * 4 + tgt + bytes.fromhex('20010db8000000000000000000000001') + tlla),
      icmp6(1, 4, b'\0' * 4 + b'\x60' + b'\0' * 39), icmp6(1, 3, b'\0' * 4 + b'\x60' + b'\0' * 39),
      icmp6(3, 0, b'\0' * 4 + b'\x60' + b'\0' * 39), icmp6(3, 1, b'\0' * 4 + b'\x60' + b'\0' * 39),
      icmp6(4, 1, b'\0\0\0\x08' + b'\x60' + b'\0' * 39), icmp6(2, 0, b'\0\0\x05\xdc' + b'\x60' + b'\0' * 39),
      icmp6(135, 0, b'\0' * 4 + tgt + b'\x01\x00')]
pcap(fr, 'icmp6_nd_options.pcap')

# ICMPv6 errors quoting a UDP and a TCP datagram.
inner = struct.pack('!IHBB', 0x60000000, 8, 17, 64) + bytes.fromhex('fe800000000000000000000000000002') + \
    bytes.fromhex('20010db8000000000000000000000077') + struct.pack('!HHHH', 1234, 53, 8, 0)
innert = struct.pack('!IHBB', 0x60000000, 20, 6, 64) + bytes.fromhex('fe800000000000000000000000000002') + \
    bytes.fromhex('20010db8000000000000000000000077') + struct.pack('!HHII', 1234, 80, 0, 0) + b'\x50\x02\0\0\0\0\0\0'
fr = [icmp6(1, c, b'\0' * 4 + inner) for c in range(9)] + [icmp6(1, 4, b'\0' * 4 + innert)] + \
    [icmp6(3, c, b'\0' * 4 + inner) for c in range(3)] + [icmp6(4, c, b'\0\0\0\x08' + inner) for c in range(5)] + \
    [icmp6(2, 1, b'\0\0\x05\xdc' + inner)]
pcap(fr, 'icmp6_errors.pcap')

# MLD v1/v2.
g = bytes.fromhex('ff020000000000000000000000000001')
src = bytes.fromhex('fe800000000000000000000000000005')
fr = [icmp6(130, 0, struct.pack('!HH', 1000, 0) + g),
      icmp6(130, 0, struct.pack('!HH', 1000, 0) + g + struct.pack('!BBH', 0x0a, 125, 2) + src + src),
      icmp6(131, 0, struct.pack('!HH', 0, 0) + g), icmp6(132, 0, struct.pack('!HH', 0, 0) + g),
      icmp6(143, 0, struct.pack('!HH', 0, 2) + struct.pack('!BBH', 4, 0, 1) + g + src + struct.pack('!BBH', 1, 0, 0) + g),
      icmp6(128, 0, struct.pack('!HH', 7, 9) + b'abc')]
pcap(fr, 'mld.pcap')

# GRE version 0 with its optional fields and payload types; bad versions; cut headers.
inner4 = ip(1, struct.pack('!BBHHH', 8, 0, 0, 1, 2) + b'x' * 4)[14:]
eth = b'\0\1\2\3\4\5\0\6\7\x08\x09\x0a\x08\x00' + inner4
fr = [ip(47, struct.pack('!HH', 0, 0x0800) + inner4), ip(47, struct.pack('!HHHH', 0x8000, 0x0800, 0x1234, 0) + inner4),
      ip(47, struct.pack('!HHI', 0x2000, 0x0800, 0xabcdef) + inner4), ip(47, struct.pack('!HHI', 0x1000, 0x0800, 77) + inner4),
      ip(47, struct.pack('!HHHHII', 0xb000, 0x0800, 0x1234, 0, 5, 6) + inner4), ip(47, struct.pack('!HH', 0, 0x6558) + eth),
      ip(47, struct.pack('!HH', 0, 0x86dd) + ip6(59, b'')[14:]), ip(47, struct.pack('!HH', 0, 0x1234) + b'abcd'),
      ip(47, struct.pack('!HH', 0, 0x0806) + b'abcd'), ip(47, struct.pack('!HH', 0x0007, 0x0800) + inner4),
      ip(47, struct.pack('!HH', 0x0002, 0x0800) + inner4), ip(47, struct.pack('!H', 0)),
      ip(47, struct.pack('!HH', 0x2000, 0x0800) + b'\0\1')]
pcap(fr, 'gre_v0.pcap')


# NTP: leap indicators, strata, polls, versions and modes, key id / digest lengths, zero deltas.
def ntp(li, vn, mode, stratum, poll, prec, extra=b'', refid=0x41424344, org=(3645134677, 0x30000000),
        rec=(3645134677, 0x10000000)):
    return struct.pack('!BBbbIII', li << 6 | vn << 3 | mode, stratum, poll, prec, 0x00012345, 0x00008000, refid) + \
        struct.pack('!IIIIIIII', 3645854147, 0x31659e00, org[0], org[1], rec[0], rec[1], 3645854196, 0x2d2c0000) + extra


fr = [udp(123, 123, ntp(l, 4, 3, s, p, -20)) for l, s, p in [(1, 0, 6), (2, 1, -3), (3, 16, 40), (0, 17, 0), (0, 255, 10)]]
fr += [udp(123, 123, ntp(0, v, m, 2, 6, -20)) for v, m in [(1, 0), (2, 1), (3, 2), (4, 5), (5, 7)]]
fr += [udp(123, 123, ntp(0, 4, 4, 2, 6, -20, b'\0\0\0\x05')), udp(123, 123, ntp(0, 4, 4, 2, 6, -20, b'\0' * 12)),
       udp(123, 123, ntp(0, 4, 4, 1, 6, -20, refid=0x47505300)),
       udp(123, 123, ntp(0, 4, 4, 2, 6, -20, org=(5, 0), rec=(5, 0))),
       udp(123, 123, ntp(0, 4, 4, 2, 6, -20, org=(5, 0x80000000), rec=(5, 0x40000000))),
       udp(123, 123, ntp(0, 4, 4, 2, 6, -20)[:30])]
pcap(fr, 'ntp_fields.pcap')


# DHCP: every option name (through a Parameter-Request list) and every message type.
def bootp(opts, op=1, flags=0, hops=0, secs=0):
    b = struct.pack('!BBBBIHH', op, 1, 6, hops, 0x1234abcd, secs, flags) + b'\0' * 16 + \
        bytes.fromhex('00112233445500000000000000000000') + b'\0' * 192 + b'\x63\x82\x53\x63' + opts + b'\xff'
    return udp(68, 67, b)


allp = bytes(range(1, 255))
fr = [bootp(b'\x35\x01\x01' + b'\x37' + bytes([len(allp)]) + allp)] + [bootp(b'\x35\x01' + bytes([t])) for t in range(0, 20)]
pcap(fr, 'dhcp_option_names.pcap')
