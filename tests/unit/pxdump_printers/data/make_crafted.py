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


# Headers the truncation test cuts byte by byte (truncation_test.cpp): IPv6 extension header
# chains (hop-by-hop with options, destination options, routing types 0 and 2, fragment), TCP
# option lists, IPv4 options before UDP and TCP.
def ip6x(chain, proto, payload):
    """IPv6 with extension headers: chain is a list of (type, body) with body the bytes after
    next-header and length (padded to 8-byte units by the caller)."""
    body = b''
    types = [t for t, _ in chain] + [proto]
    for i, (t, b) in enumerate(chain):
        if t == 44:
            body += struct.pack('!BB', types[i + 1], 0) + b
        else:
            body += struct.pack('!BB', types[i + 1], (len(b) + 2) // 8 - 1) + b
    return ip6(types[0], body + payload)


def udp6(sp, dp, payload):
    return struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload


def tcph(sp, dp, seq, ack, flags, opts=b'', payload=b'', win=8192):
    opts += b'\0' * (-len(opts) % 4)
    return struct.pack('!HHIIBBHHH', sp, dp, seq, ack, (5 + len(opts) // 4) << 4, flags, win, 0, 0) + opts + payload


a1 = bytes.fromhex('20010db8000000000000000000000001')
a2 = bytes.fromhex('20010db8000000000000000000000002')
hbh = (0, b'\x05\x02\x00\x00\x01\x00')                       # router alert + PadN
dst = (60, b'\x01\x04\x00\x00\x00\x00')                      # PadN
rt0 = (43, b'\x00\x02' + b'\0' * 4 + a1 + a2)                # type 0, 2 segments left
rt2 = (43, b'\x02\x01' + b'\0' * 4 + a1)                     # type 2 (Mobile IPv6)
frag = (44, struct.pack('!HI', 0x0001, 0x12345678))          # first fragment, more follow
syn_opts = b'\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07'
fr = [ip6x([hbh], 17, udp6(1000, 53, q(1))), ip6x([hbh, dst], 17, udp6(1000, 53, q(28))),
      ip6x([rt0], 17, udp6(1000, 53, q(1))), ip6x([rt2, dst], 58, struct.pack('!BBHHH', 128, 0, 0, 1, 1) + b'abcd'),
      ip6x([frag], 17, udp6(1000, 53, q(1))), ip6x([dst, frag], 6, tcph(1000, 80, 1, 0, 0x02, syn_opts)),
      ip6x([hbh], 6, tcph(1000, 53, 7, 9, 0x18, b'\x01\x01\x05\x0a\x00\x00\x00\x10\x00\x00\x00\x20', b'xy'))]
pcap(fr, 'ipv6_ext_headers.pcap')

fr = [ip(6, tcph(1000, 2000, 100, 0, 0x02, syn_opts)),
      ip(6, tcph(2000, 1000, 500, 101, 0x12, b'\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x02')),
      ip(6, tcph(1000, 2000, 101, 501, 0x10, b'\x01\x01\x05\x12' + struct.pack('!IIII', 600, 700, 800, 900) + b'\x00\x00')),
      ip(6, tcph(1000, 2000, 101, 501, 0x18, b'\x63\x06\xaa\xbb\xcc\xdd\x01\x00', b'data')),
      ip(6, tcph(1000, 2000, 105, 501, 0x10, b'\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00')),
      # IPv4 options (record route, 2 slots) before UDP and TCP.
      ]
def ipopt(proto, payload, opts):
    opts += b'\0' * (-len(opts) % 4)
    h = struct.pack('!BBHHHBBH4s4s', 0x45 + len(opts) // 4, 0, 20 + len(opts) + len(payload), 1, 0, 64, proto, 0,
                    b'\x0a\0\0\x01', b'\x0a\0\0\x02') + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return b'\0\1\2\3\4\5\0\6\7\x08\x09\x0a\x08\x00' + h + payload
fr += [ipopt(17, struct.pack('!HHHH', 1000, 53, 8 + len(q(1)), 0) + q(1), b'\x07\x0b\x04' + b'\0' * 8),
       ipopt(6, tcph(1000, 2000, 1, 0, 0x02, b'\x02\x04\x05\xb4'), b'\x94\x04\x00\x00')]
pcap(fr, 'tcp_ip_options.pcap')

# DNS over TCP (RFC 1035 4.2.2: a 2-byte length before each message): queries and answers, a
# prefix that disagrees with the segment, segments too short for the prefix or the header.
def name(n):
    return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.') if p) + b'\0'
def dnsmsg(ident, flags, qs, ans=b'', an=0):
    return struct.pack('!HHHHHH', ident, flags, len(qs), an, 0, 0) + b''.join(qs) + ans
query = dnsmsg(0x1234, 0x0100, [name('example.com') + struct.pack('!HH', 1, 1)])
answer = dnsmsg(0x1234, 0x8180, [name('example.com') + struct.pack('!HH', 1, 1)],
                b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 300, 4) + bytes([93, 184, 216, 34]) +
                b'\xc0\x0c' + struct.pack('!HHIH', 28, 1, 300, 16) + a1, 2)
axfr = dnsmsg(7, 0x0000, [name('example.org') + struct.pack('!HH', 252, 1)])
pre = lambda m: struct.pack('!H', len(m)) + m
fr = [ip(6, tcph(40000, 53, 1, 1, 0x18, payload=pre(query))),
      ip(6, tcph(53, 40000, 1, 1 + 2 + len(query), 0x18, payload=pre(answer))),
      ip(6, tcph(40001, 53, 1, 1, 0x18, payload=pre(axfr))),
      ip(6, tcph(40000, 53, 1, 1, 0x18, payload=struct.pack('!H', 99) + query)),  # prefix != length
      ip(6, tcph(40000, 53, 1, 1, 0x18, payload=b'\x00')),                          # length 1 < 2
      ip(6, tcph(40000, 53, 1, 1, 0x18, payload=pre(b'\x12\x34\x01'))),           # shorter than a header
      ip(6, tcph(40000, 53, 1, 1, 0x11)),                                         # FIN, no data
      ip6(6, tcph(40002, 53, 5, 6, 0x18, payload=pre(query)), src=a1, dst=a2),
      ip6(6, tcph(53, 40002, 6, 5 + 2 + len(query), 0x18, payload=pre(answer)), src=a2, dst=a1)]
pcap(fr, 'dns_tcp.pcap')

# Time stamps for the time zone test (timezone_test.cpp): both sides of the 2021 daylight saving
# changes in New York (14 March 07:00 UTC, 7 November 06:00 UTC), local midnight, the epoch,
# 29 February, offsets with minutes (Kolkata) and seconds (Monrovia before 1972), the last
# second tcpdump converts (2^31 - 1) and the first it refuses.
stamps = [(0, 0), (1, 999999), (86399, 500000), (63072000, 0), (1615705199, 999999), (1615705200, 0),
          (1615705201, 1), (1636264799, 123456), (1636264800, 0), (1636268400, 654321), (1614556799, 5),
          (1614574800, 6), (1582934400, 7), (1609459200, 8), (1609477200, 9), (2147483647, 999999),
          (2147483648, 0)]
with open('time_zones.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    frame = udp(1000, 53, q(1))
    for sec, usec in stamps:
        f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)))
        f.write(frame)

# Answers of the record types tcpdump shows data for, and of rarer ones it shows by type only;
# an OPT record per EDNS option code (RFC 6891 6.1.2) with typical data.
def rr(t, rdata, owner=b'\xc0\x0c', klass=1, ttl=3600):
    return owner + struct.pack('!HHIH', t, klass, ttl, len(rdata)) + rdata
def answer_msg(records, opt=b''):
    qd = name('example.com') + struct.pack('!HH', 255, 1)
    return struct.pack('!HHHHHH', 0x4242, 0x8180, 1, len(records), 0, 1 if opt else 0) + qd + b''.join(records) + opt
rdatas = {
    13: b'\x03x86\x05Linux', 17: name('admin.example.com') + name('txt.example.com'),
    18: struct.pack('!H', 1) + name('afs.example.com'), 24: b'\x00\x01\x05\x02' + b'\0' * 14 + name('example.com') + b'sig',
    25: b'\x01\x00\x03\x05keydata', 29: bytes([0, 0x12, 0x16, 0x13]) + struct.pack('!III', 0x8a0b0c0d, 0x7f000000, 10000000),
    30: name('next.example.com') + b'\x40\x00\x00\x08', 35: struct.pack('!HH', 100, 10) + b'\x01S\x07SIP+D2U\x00' + name('_sip._udp.example.com'),
    36: struct.pack('!H', 10) + name('kx.example.com'), 37: struct.pack('!HHB', 1, 2, 3) + b'certdata',
    38: b'\x40' + b'\0\0\0\0\0\0\0\x01' + name('pfx.example.com'), 39: name('dname.example.net'),
    42: struct.pack('!HBB', 1, 24, 3) + bytes([192, 0, 2]), 43: struct.pack('!HBB', 12345, 8, 2) + b'\xaa' * 32,
    44: b'\x01\x01' + b'\xbb' * 20, 45: b'\x0a\x01\x02' + bytes([192, 0, 2, 1]) + b'pubkey',
    46: struct.pack('!HBBIIIH', 1, 8, 2, 3600, 1700000000, 1690000000, 12345) + name('example.com') + b'sig',
    47: name('next.example.com') + b'\x00\x06\x40\x00\x00\x00\x00\x03', 48: b'\x01\x01\x03\x08' + b'pubkeydata',
    49: b'dhcid-data', 50: b'\x01\x00\x00\x0a\x04\xaa\xbb\xcc\xdd\x14' + b'\xcc' * 20 + b'\x00\x01\x40',
    51: b'\x01\x00\x00\x0a\x04\xaa\xbb\xcc\xdd', 52: b'\x03\x01\x01' + b'\xdd' * 32,
    55: b'\x04\x02\x00\x03' + b'\x01\x02\x03\x04' + b'key', 64: struct.pack('!H', 1) + name('svc.example.com') + b'\x00\x01\x00\x03\x02h2',
    65: struct.pack('!H', 1) + b'\x00' + b'\x00\x01\x00\x03\x02h3', 99: b'\x0bv=spf1 -all',
    111: b'unspec-data', 250: name('hmac-sha256') + b'\x00\x00\x65\x00\x00\x00\x01\x2c\x00\x04mac!\x42\x42\x00\x00\x00\x00',
    249: name('gss-tsig') + b'\x65\x00\x00\x00\x65\x00\x01\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00\x00\x00',
    256: struct.pack('!HH', 10, 1) + b'https://example.com/', 257: b'\x00\x05issueca.example',
    10: b'null-data', 11: bytes([192, 0, 2, 1, 6]) + b'\x00\x00\x00\x04', 14: name('rmail.example.com') + name('email.example.com'),
    19: b'\x0c311061700956', 20: b'\x0f150862028003217\x03004', 21: struct.pack('!H', 5) + name('rt.example.com'),
    22: b'\x47\x00\x05\x80\x00\x5a\x00\x00\x00\x00\x01\xe1\x33\xff\xff\xff\x00\x01\x61\x00',
    26: struct.pack('!H', 10) + name('map822.example.com') + name('mapx400.example.com'), 27: b'\x0410.0\x0420.0\x030.0',
    31: b'\x01\x02', 32: b'\x03\x04', 34: b'\x00\x47\x00\x05\x80', 62: b'csync', 63: b'zonemd', 108: b'\x00\x01\x02\x03\x04\x05',
    109: b'\x00\x01\x02\x03\x04\x05\x06\x07', 32768: b'ta', 32769: b'dlv'}
fr = [udp(53, 1000, answer_msg([rr(t, d)])) for t, d in rdatas.items()]
fr.append(udp(53, 1000, answer_msg([rr(t, d) for t, d in list(rdatas.items())[:6]])))
edns = {1: b'\x00\x01\x00\x01' + b'\0' * 14, 2: b'\x00\x00\x0e\x10', 3: b'ns1', 5: b'\x08\x0d', 6: b'\x01\x02', 7: b'\x01',
        8: b'\x00\x01\x18\x00\xc0\x00\x02', 9: b'\x00\x00\x0e\x10', 10: b'\x01\x02\x03\x04\x05\x06\x07\x08',
        11: b'\x00\x64', 12: b'\0' * 6, 13: name('example.com'), 14: b'\x12\x34\x56\x78', 15: b'\x00\x12extra',
        16: b'ct', 17: b'st', 20730: b'x', 65001: b''}
fr += [udp(1000, 53, struct.pack('!HHHHHH', 7, 0x0100, 1, 0, 0, 1) + name('example.com') + struct.pack('!HH', 1, 1) +
           b'\x00' + struct.pack('!HHIH', 41, 1232, 0x8000, 4 + len(d)) + struct.pack('!HH', c, len(d)) + d)
       for c, d in edns.items()]
fr.append(udp(1000, 53, struct.pack('!HHHHHH', 8, 0x0100, 1, 0, 0, 1) + name('example.com') + struct.pack('!HH', 1, 1) +
              b'\x00' + struct.pack('!HHIH', 41, 4096, 0, 12 + 12) + struct.pack('!HH', 8, 8) + b'\x00\x02\x38\x00\x20\x01\x0d\xb8' +
              struct.pack('!HH', 10, 8) + b'\x11' * 8))
pcap(fr, 'dns_records.pcap')

# ICMP errors quoting IP headers tcpdump cuts at their own total length (0, 1, below the header,
# the header only, longer than the message) or refuses (version 0, version 6).
def quoted(ver, tl):
    return struct.pack('!BBHHHBBH4s4s', (ver << 4) | 5, 0, tl, 1, 0, 64, 17, 0, b'\x0a\0\0\x02', b'\x0a\0\0\x03') + \
        b'\x00\x35\x00\x35\x00\x08\x00\x00'
pcap([ip(1, struct.pack('!BBHI', 3, 3, 0, 0) + quoted(v, tl))
      for v, tl in [(4, 0), (4, 1), (4, 3), (4, 4), (4, 10), (4, 19), (4, 20), (4, 28), (0, 28), (0, 0), (6, 28), (4, 200)]],
     'icmp_quoted_lengths.pcap')

# RPL (ICMPv6 type 155, RFC 6550): DIS, DIO with and without options (config, pad1, padN, an
# unknown one), DAO with and without the DODAGID and the ack request, DAO-ACK with and without
# the DODAGID, a DAO too short for its DODAGID, a secured message and an unknown code.
def rpl6(code, body):
    return ip6(58, struct.pack('!BBH', 155, code, 0) + body, dst=bytes.fromhex('ff02000000000000000000000000001a'))
dodag = bytes.fromhex('20010db8000000000000000000000001')
dio = struct.pack('!BBHBBBB', 1, 2, 256, 0x88, 10, 0, 0) + dodag
fr = [rpl6(0, b'\x00\x00'), rpl6(1, dio), rpl6(1, struct.pack('!BBHBBBB', 7, 1, 65535, 0x3b, 1, 0, 0) + dodag),
      rpl6(1, dio + b'\x04\x0e\x00\x08\x0c\x00\x04\x00\x00\x00\x01\x00\x01\x00\x00\xff' + b'\x00' + b'\x01\x01\x00' + b'\x63\x02\xaa\xbb'),
      rpl6(2, struct.pack('!BBBB', 1, 0x40, 0, 5) + dodag), rpl6(2, struct.pack('!BBBB', 1, 0x80, 0, 6) + b'\0' * 16),
      rpl6(2, struct.pack('!BBBB', 1, 0x40, 0, 5) + dodag + b'\x05\x12\x00\x80' + dodag + b'\x06\x04\x00\x00\x05\x0a'),
      rpl6(2, struct.pack('!BBBB', 1, 0x40, 0, 5) + dodag[:8]), rpl6(3, struct.pack('!BBBB', 1, 0x80, 5, 0) + dodag),
      rpl6(3, struct.pack('!BBBB', 1, 0x00, 5, 2)), rpl6(0x81, dio), rpl6(7, b'\0' * 8)]
pcap(fr, 'rpl.pcap')
