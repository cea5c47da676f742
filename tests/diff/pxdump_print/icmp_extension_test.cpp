// ICMP messages carrying an RFC 4884 extension structure (RFC 4950 MPLS label stack and other
// objects), crafted here because the shared captures hold a single such packet: pxdump's text
// must equal tcpdump's for each, at -v and -vvv (and without -v, where nothing is shown).
// Variants: label stacks, an unknown object class, the pre-RFC 4884 zero length field with a
// good and a bad checksum, a bad checksum, an unsupported version and a capture cut inside.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace pcapxx {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint16_t checksum(const Bytes& b, std::size_t from, std::size_t to) {
  std::uint32_t sum = 0;
  for (std::size_t i = from; i < to; i += 2) sum += (std::uint32_t{b[i]} << 8) | (i + 1 < to ? b[i + 1] : 0u);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

struct Extension {
  std::uint8_t version = 2;
  bool length_field = true;   // RFC 4884 length of the original datagram (else 0, pre-RFC 4884)
  bool good_checksum = true;
  Bytes objects;
};

Bytes object(std::uint8_t class_num, std::uint8_t c_type, const Bytes& data) {
  Bytes o{0, 0, class_num, c_type};
  put16(o, 0, static_cast<std::uint16_t>(4 + data.size()));
  o.insert(o.end(), data.begin(), data.end());
  return o;
}

Bytes label_entry(std::uint32_t label, unsigned tc, bool bottom, unsigned ttl) {
  const std::uint32_t v = (label << 12) | (tc << 9) | (bottom ? 0x100u : 0u) | ttl;
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

// Ethernet + IPv4 + ICMP (type) quoting a UDP datagram padded to 128 bytes, then the extension.
Bytes frame(std::uint8_t type, const Extension& e) {
  Bytes f{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
  Bytes quoted(128, 0);
  const Bytes inner_ip{0x45, 0, 0, 28, 0, 1, 0, 0, 1, 17, 0, 0, 10, 0, 0, 1, 192, 0, 2, 9};
  std::copy(inner_ip.begin(), inner_ip.end(), quoted.begin());
  put16(quoted, 10, checksum(quoted, 0, 20));
  const Bytes udp{0xc0, 0x01, 0x82, 0x9b, 0, 8, 0, 0};
  std::copy(udp.begin(), udp.end(), quoted.begin() + 20);
  Bytes icmp{type, 0, 0, 0, 0, static_cast<std::uint8_t>(e.length_field ? 32 : 0), 0, 0};
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  Bytes ext{static_cast<std::uint8_t>(e.version << 4), 0, 0, 0};
  ext.insert(ext.end(), e.objects.begin(), e.objects.end());
  put16(ext, 2, static_cast<std::uint16_t>(checksum(ext, 0, ext.size()) ^ (e.good_checksum ? 0 : 0x5a5a)));
  icmp.insert(icmp.end(), ext.begin(), ext.end());
  put16(icmp, 2, checksum(icmp, 0, icmp.size()));
  Bytes ip{0x45, 0, 0, 0, 0, 7, 0, 0, 250, 1, 0, 0, 10, 0, 2, 1, 10, 0, 0, 1};
  put16(ip, 2, static_cast<std::uint16_t>(20 + icmp.size()));
  put16(ip, 10, checksum(ip, 0, 20));
  f.insert(f.end(), ip.begin(), ip.end());
  f.insert(f.end(), icmp.begin(), icmp.end());
  return f;
}

void le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

// A pcap file (microsecond, Ethernet); cut[i] > 0 captures only that many bytes of frame i.
std::string write_pcap(const std::vector<Bytes>& frames, const std::vector<std::size_t>& cut) {
  std::string s;
  le32(s, 0xa1b2c3d4);
  le32(s, 0x00040002);
  le32(s, 0);
  le32(s, 0);
  le32(s, 65535);
  le32(s, 1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::size_t caplen = cut[i] != 0 ? cut[i] : frames[i].size();
    le32(s, 1700000000 + static_cast<std::uint32_t>(i));
    le32(s, 0);
    le32(s, static_cast<std::uint32_t>(caplen));
    le32(s, static_cast<std::uint32_t>(frames[i].size()));
    s.append(reinterpret_cast<const char*>(frames[i].data()), caplen);
  }
  const std::string path = "/tmp/pxdump-icmp-ext-" + std::to_string(getpid()) + ".pcap";
  std::ofstream(path, std::ios::binary) << s;
  return path;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, p)) > 0) out.append(chunk, n);
  pclose(p);
  return out;
}

TEST(PxdumpPrintIcmpExtension, IdenticalToTcpdump) {
  const Bytes one_label = object(1, 1, label_entry(22, 0, true, 1));
  Bytes two_labels = label_entry(16001, 5, false, 254);
  const Bytes bottom = label_entry(1048575, 7, true, 0);
  two_labels.insert(two_labels.end(), bottom.begin(), bottom.end());
  Bytes stack_and_unknown = object(1, 1, two_labels);
  const Bytes unknown = object(3, 2, Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
  stack_and_unknown.insert(stack_and_unknown.end(), unknown.begin(), unknown.end());

  std::vector<Bytes> frames{
      frame(11, {.objects = one_label}),
      frame(3, {.objects = object(1, 1, two_labels)}),
      frame(12, {.objects = stack_and_unknown}),
      frame(11, {.objects = object(1, 2, Bytes{0xde, 0xad, 0xbe, 0xef})}),  // label stack, unknown C-type
      frame(11, {.length_field = false, .objects = one_label}),             // pre-RFC 4884, checksum good
      frame(11, {.length_field = false, .good_checksum = false, .objects = one_label}),  // ... bad: no extension
      frame(11, {.good_checksum = false, .objects = one_label}),
      frame(11, {.version = 1, .objects = one_label}),
      frame(11, {.objects = stack_and_unknown}),  // cut inside the second object
      frame(11, {.objects = one_label}),          // cut inside the extension header
      frame(8, {.objects = one_label}),           // echo request: no extension decoding
  };
  std::vector<std::size_t> cut(frames.size(), 0);
  cut[8] = frames[8].size() - 10;
  cut[9] = 14 + 20 + 8 + 128 + 2;
  const std::string path = write_pcap(frames, cut);
  for (const char* flags : {"-n", "-n -v", "-n -vvv", "-n -vv -e"}) {
    const std::string tail = std::string(" -# ") + flags + " -r '" + path + "' 2>/dev/null";
    const std::string want = run("TZ=UTC tcpdump" + tail);
    const std::string ours = run("TZ=UTC '" PCAPXX_BIN_DIR "/pxdump'" + tail);
    EXPECT_FALSE(want.empty()) << "tcpdump printed nothing for " << flags;
    EXPECT_EQ(want, ours) << "flags " << flags << "\n--- tcpdump:\n" << want << "--- pxdump:\n" << ours;
  }
  // The crafted frames must exercise the extension (a test that compares nothing cannot fail).
  EXPECT_NE(run("tcpdump -n -v -r '" + path + "' 2>/dev/null").find("MPLS Stack Entry Object"), std::string::npos);
  if (std::getenv("PCAPXX_KEEP_ICMP_EXT") == nullptr) unlink(path.c_str());
}

}  // namespace
}  // namespace pcapxx
