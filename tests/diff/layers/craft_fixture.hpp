// Test support for the crafted-packet tests against tshark: the CraftVsTshark fixture writes
// crafted frames (one interface per link type) to a temporary capture, runs tshark once with
// checksum validation on, and checks the expected fields of each frame, no expert warning or
// error, nothing malformed; plus small helpers to craft with.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/craft.hpp"
#include "common/run.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers::craft_test {

using test::eth_frame;
using test::hex;
using test::ipv4_between;
using test::ipv6_between;
using test::run;
using test::udp_ports;
using test::v4;
using test::v6;

inline std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

class CraftVsTshark : public ::testing::Test {
 protected:
  void add(std::span<const std::byte> frame, LinkType link = dlt::kEn10Mb) {
    frames_.emplace_back(frame.begin(), frame.end());
    links_.push_back(link);
  }

  // Writes the frames and returns tshark's rows for the given fields.
  std::vector<std::vector<std::string>> tshark(const std::vector<std::string>& fields) {
    const auto path = std::filesystem::temp_directory_path() / fmt::format("pcapxx-craft-{}.pcap", getpid());
    // One interface per link type; pcapng when there is more than Ethernet.
    std::vector<InterfaceDescription> ifds;
    std::vector<std::uint32_t> iface(frames_.size());
    for (std::size_t k = 0; k < frames_.size(); ++k) {
      std::size_t at = 0;
      while (at < ifds.size() && ifds[at].link_type != links_[k]) ++at;
      if (at == ifds.size()) {
        InterfaceDescription ifd;
        ifd.link_type = links_[k];
        ifd.snaplen = 65535;
        ifds.push_back(ifd);
      }
      iface[k] = static_cast<std::uint32_t>(at);
    }
    if (ifds.empty()) {
      ifds.emplace_back();
      ifds[0].link_type = dlt::kEn10Mb;
      ifds[0].snaplen = 65535;
    }
    WriterOptions wo;
    if (ifds.size() > 1 || ifds[0].link_type != dlt::kEn10Mb) wo.format = SavefileFormat::pcapng;
    auto w = SavefileWriter::open(path.string(), ifds, wo);
    if (!w.has_value()) {
      ADD_FAILURE() << path << ": " << w.error().message;
      return {};
    }
    std::int64_t t = 1'700'000'000;
    for (std::size_t k = 0; k < frames_.size(); ++k) {
      const auto& f = frames_[k];
      PacketView v;
      v.header.interface = iface[k];
      v.header.ts = Timestamp::from(t++, 0);
      v.header.caplen = v.header.origlen = static_cast<std::uint32_t>(f.size());
      v.data = f;
      EXPECT_TRUE((*w)->write(v).has_value());
    }
    EXPECT_TRUE((*w)->close().has_value());
    std::vector<std::string> args = {"tshark", "-r", path.string(), "-n", "-o", "ip.check_checksum:TRUE",
                                     "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                                     "-o", "sctp.checksum:CRC 32c", "-T", "fields", "-E", "separator=/t", "-e", "_ws.expert.severity",
                                     "-e", "_ws.expert.message", "-e", "_ws.malformed"};
    for (const auto& f : fields) {
      args.push_back("-e");
      args.push_back(f);
    }
    const auto res = run(args);
    if (std::getenv("PCAPXX_KEEP_CRAFTED") == nullptr) std::filesystem::remove(path);  // kept for a look with -V
    EXPECT_EQ(res.status, 0) << res.err;
    std::vector<std::vector<std::string>> rows;
    for (const auto& line : test::lines(res.out)) {
      std::vector<std::string> cols;
      std::size_t start = 0;
      for (;;) {
        const auto at = line.find('\t', start);
        cols.push_back(line.substr(start, at - start));
        if (at == std::string::npos) break;
        start = at + 1;
      }
      // No expert info of severity warning (0x00600000) or error (0x00800000), nothing malformed.
      std::size_t pos = 0;
      const std::string& sev = cols[0];
      while (pos < sev.size()) {
        const auto comma = sev.find(',', pos);
        const auto v = std::stoul(sev.substr(pos, comma - pos));
        EXPECT_LT(v, 0x00600000u) << "expert info: " << cols[1];
        pos = comma == std::string::npos ? sev.size() : comma + 1;
      }
      EXPECT_TRUE(cols[2].empty()) << "malformed: " << line;
      rows.push_back(std::vector<std::string>(cols.begin() + 3, cols.end()));
    }
    return rows;
  }

  // A frame and the tshark field values it must show.
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void add(std::string what, std::span<const std::byte> frame, Fields expect, LinkType link = dlt::kEn10Mb) {
    add(frame, link);
    names_.resize(frames_.size());
    expects_.resize(frames_.size());
    names_.back() = std::move(what);
    expects_.back() = std::move(expect);
  }

  // One tshark run over every frame added; each frame's fields compared, both sides printed.
  void check_all() {
    std::vector<std::string> fields;
    for (const auto& e : expects_)
      for (const auto& [f, v] : e)
        if (std::ranges::find(fields, f) == fields.end()) fields.push_back(f);
    const auto rows = tshark(fields);
    ASSERT_EQ(rows.size(), frames_.size());
    for (std::size_t i = 0; i < expects_.size(); ++i) {
      for (const auto& [f, v] : expects_[i]) {
        const auto col = static_cast<std::size_t>(std::ranges::find(fields, f) - fields.begin());
        const std::string got = col < rows[i].size() ? rows[i][col] : "<no column>";
        EXPECT_EQ(got, v) << "frame " << i + 1 << " (" << names_[i] << "): " << f << ": we expect '" << v
                          << "', tshark shows '" << got << "'";
      }
    }
  }

  std::vector<std::vector<std::byte>> frames_;
  std::vector<LinkType> links_;
  std::vector<std::string> names_;
  std::vector<Fields> expects_;
};

inline std::vector<std::byte> first_packet_of(const char* rel, std::size_t n = 0) {
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  EXPECT_TRUE(reader.has_value()) << rel;
  if (!reader.has_value()) return {};
  for (std::size_t i = 0;; ++i) {
    auto v = (*reader)->next();
    if (!v.has_value() || *v == nullptr) {
      ADD_FAILURE() << rel << " has no packet " << n;
      return {};
    }
    if (i == n) return {(*v)->data.begin(), (*v)->data.end()};
  }
}

inline constexpr SerializeOptions kFix{.fix_lengths = true, .compute_checksums = true};

template <class... Ls>
std::span<const std::byte> craft(SerializeBuffer& buf, const Ls&... ls) {
  serialize_layers(buf, kFix, ls...);
  return buf.bytes();
}

}  // namespace pcapxx::layers::craft_test
