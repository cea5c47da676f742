// layers_gopacket: the gopacket side of bench/layers_oracles.sh (an oracle, never shipped).
// It decodes the same generated captures as layers_libtins_bench, with the same cases and the
// same timing (best pass of up to PASSES passes, at most about half a second of them, over all
// packets), and prints
// "RESULT gopacket <capture>.<case> <ns/packet>" lines:
//
//	  read        reading the pcap file (this program's own record walker: gopacket's pcapgo
//	              needs golang.org/x packages that Debian's gopacket package does not pull in)
//	  read+MODE   reading and decoding in MODE (eager, eager_copy, lazy, fast as below)
//	  eager       gopacket.NewPacket with NoCopy (every layer decoded now, bytes not copied)
//	  eager_copy  gopacket.NewPacket with Default (copies the bytes)
//	  lazy        Lazy+NoCopy, then TransportLayer() (TCP) or Layer(LayerTypeDNS)
//	  lazy_copy   Lazy, then the same
//	  fast        DecodingLayerParser over Ethernet, IPv4, IPv6, TCP, UDP, DNS, Payload
//	  craft       SerializeLayers of Ethernet/IPv4/TCP + 64 bytes with FixLengths and
//	              ComputeChecksums, a new sequence number each time
//
//		layers_gopacket TCP.pcap DNS.pcap [PASSES]
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

var sink uint64

// readPackets reads a little-endian microsecond pcap file (what pxgen writes) into buf and
// calls fn with each record's bytes, which view buf.
func readPackets(path string, buf []byte, fn func([]byte)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return buf, err
	}
	size := int(st.Size())
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := f.ReadAt(buf, 0); err != nil {
		return buf, err
	}
	if size < 24 || binary.LittleEndian.Uint32(buf) != 0xa1b2c3d4 {
		return buf, fmt.Errorf("%s: not a little-endian microsecond pcap file", path)
	}
	for at := 24; at+16 <= size; {
		caplen := int(binary.LittleEndian.Uint32(buf[at+8:]))
		if at+16+caplen > size {
			return buf, fmt.Errorf("%s: record at offset %d runs past the end", path, at)
		}
		fn(buf[at+16 : at+16+caplen])
		at += 16 + caplen
	}
	return buf, nil
}

// bestNs runs pass once to warm up, then passes times or as many as fit in about half a
// second (at least 10), and returns the best ns per packet.
func bestNs(passes, n int, pass func()) float64 {
	pass()
	best := 1e30
	start := time.Now()
	for i := 0; i < passes && (i < 10 || time.Since(start) < 500*time.Millisecond); i++ {
		t0 := time.Now()
		pass()
		ns := float64(time.Since(t0).Nanoseconds()) / float64(n)
		if ns < best {
			best = ns
		}
	}
	return best
}

func result(key string, ns float64) {
	fmt.Printf("RESULT gopacket %s %.1f\n", key, ns)
}

func benchCapture(path, name string, passes int, dns bool) error {
	var packets [][]byte
	if _, err := readPackets(path, nil, func(b []byte) {
		packets = append(packets, append([]byte(nil), b...))
	}); err != nil {
		return err
	}
	n := len(packets)
	if n == 0 {
		return fmt.Errorf("%s: no packets", path)
	}
	var buf []byte
	var readErr error
	read := func(fn func([]byte)) func() {
		return func() { buf, readErr = readPackets(path, buf, fn) }
	}
	over := func(fn func([]byte)) func() {
		return func() {
			for _, p := range packets {
				fn(p)
			}
		}
	}
	found := func(p gopacket.Packet) bool {
		if dns {
			return p.Layer(layers.LayerTypeDNS) != nil
		}
		return p.TransportLayer() != nil
	}
	noCopy := gopacket.DecodeOptions{NoCopy: true}
	eager := func(opts gopacket.DecodeOptions) func([]byte) {
		return func(b []byte) {
			p := gopacket.NewPacket(b, layers.LayerTypeEthernet, opts)
			if found(p) {
				sink++
			}
		}
	}

	var eth layers.Ethernet
	var ip4 layers.IPv4
	var ip6 layers.IPv6
	var tcp layers.TCP
	var udp layers.UDP
	var dnsLayer layers.DNS
	var payload gopacket.Payload
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &udp, &dnsLayer, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	fast := func(b []byte) {
		_ = parser.DecodeLayers(b, &decoded)
		sink += uint64(len(decoded))
	}

	// The figures are only about this work if every packet holds the layer for both decoders.
	want := layers.LayerTypeTCP
	if dns {
		want = layers.LayerTypeDNS
	}
	withFast, withEager, errs := 0, 0, 0
	for _, p := range packets {
		if err := parser.DecodeLayers(p, &decoded); err != nil {
			errs++
		}
		for _, t := range decoded {
			if t == want {
				withFast++
				break
			}
		}
		pkt := gopacket.NewPacket(p, layers.LayerTypeEthernet, noCopy)
		if pkt.Layer(want) != nil {
			withEager++
		}
		if pkt.ErrorLayer() != nil {
			errs++
		}
	}
	fmt.Printf("%s: %d packets, %v in %d (DecodingLayerParser) and %d (NewPacket), %d errors\n",
		path, n, want, withFast, withEager, errs)
	if withFast != n || withEager != n || errs != 0 {
		fmt.Fprintf(os.Stderr, "layers_gopacket: warning: %s is not all %v packets decoding whole\n", path, want)
	}

	result(name+".read", bestNs(passes, n, read(func(b []byte) { sink += uint64(len(b)) })))
	result(name+".read+eager", bestNs(passes, n, read(eager(noCopy))))
	result(name+".read+eager_copy", bestNs(passes, n, read(eager(gopacket.Default))))
	result(name+".read+lazy", bestNs(passes, n, read(eager(gopacket.DecodeOptions{Lazy: true, NoCopy: true}))))
	result(name+".read+fast", bestNs(passes, n, read(fast)))
	result(name+".eager", bestNs(passes, n, over(eager(noCopy))))
	result(name+".eager_copy", bestNs(passes, n, over(eager(gopacket.Default))))
	result(name+".lazy", bestNs(passes, n, over(eager(gopacket.DecodeOptions{Lazy: true, NoCopy: true}))))
	result(name+".lazy_copy", bestNs(passes, n, over(eager(gopacket.Lazy))))
	result(name+".fast", bestNs(passes, n, over(fast)))
	return readErr
}

func benchCraft(passes int) error {
	const batch = 1000
	eth := &layers.Ethernet{EthernetType: layers.EthernetTypeIPv4,
		SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 0}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 0}}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, ACK: true, DataOffset: 5}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	body := gopacket.Payload(make([]byte, 64))
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	result("craft", bestNs(passes, batch, func() {
		for i := 0; i < batch; i++ {
			tcp.Seq++
			err = gopacket.SerializeLayers(buf, opts, eth, ip, tcp, body)
			sink += uint64(len(buf.Bytes()))
		}
	}))
	return err
}

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		fmt.Fprintln(os.Stderr, "usage: layers_gopacket TCP.pcap DNS.pcap [PASSES]")
		os.Exit(2)
	}
	passes := 300
	if len(os.Args) == 4 {
		v, err := strconv.Atoi(os.Args[3])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "layers_gopacket: PASSES '%s' is not a positive number\n", os.Args[3])
			os.Exit(2)
		}
		passes = v
	}
	for _, c := range []struct {
		path, name string
		dns        bool
	}{{os.Args[1], "tcp", false}, {os.Args[2], "dns", true}} {
		if err := benchCapture(c.path, c.name, passes, c.dns); err != nil {
			fmt.Fprintf(os.Stderr, "layers_gopacket: %v\n", err)
			os.Exit(1)
		}
	}
	if err := benchCraft(passes); err != nil {
		fmt.Fprintf(os.Stderr, "layers_gopacket: craft: %v\n", err)
		os.Exit(1)
	}
}
