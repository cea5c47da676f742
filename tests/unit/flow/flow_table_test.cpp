// The flow table: timeouts, the LRU budget and what eviction counts, TCP state, orientation,
// and the open-addressing index against a plain model under churn.
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <random>
#include <vector>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/layers/tcp.hpp"

namespace {

using pcapxx::FlowEndReason;
using pcapxx::FlowPacket;
using pcapxx::FlowRecord;
using pcapxx::FlowTable;
using pcapxx::FlowTableOptions;
using pcapxx::TcpState;
using pcapxx::Timestamp;
using pcapxx::layers::FlowKey;
using pcapxx::layers::Tcp;

constexpr std::int64_t kSec = 1'000'000'000;

FlowKey v4(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::uint8_t proto = 17) {
  FlowKey k;
  k.ip_version = 4;
  k.protocol = proto;
  k.src_port = sport;
  k.dst_port = dport;
  for (int i = 0; i < 4; ++i) {
    k.src[i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    k.dst[i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  return k;
}

FlowPacket pkt(const FlowKey& k, std::int64_t ts_ns, std::uint32_t bytes = 100) {
  FlowPacket p;
  p.key = k;
  p.ts = Timestamp{ts_ns};
  p.bytes = bytes;
  p.has_ports = true;
  return p;
}

FlowPacket tcp(const FlowKey& k, std::int64_t ts_ns, std::uint16_t flags, std::uint32_t seq = 1000) {
  FlowPacket p = pkt(k, ts_ns, 60);
  p.tcp_flags = flags;
  p.tcp_seq = seq;
  return p;
}

struct Ended {
  FlowKey key;
  std::uint64_t id;
  std::uint64_t packets;
  std::uint64_t bytes;
  FlowEndReason reason;
};

struct Recorder {
  std::vector<Ended> ended;
  void attach(FlowTable& t) {
    t.set_end_handler([this](const FlowRecord& r, FlowEndReason why) {
      ended.push_back({r.key, r.id, r.packets(), r.bytes(), why});
    });
  }
};

TEST(FlowTable, BothDirectionsShareOneRecord) {
  FlowTable t;
  const FlowKey a = v4(0x0a000001, 1234, 0x0a000002, 53);
  auto u1 = t.add(pkt(a, 1 * kSec, 70));
  ASSERT_TRUE(u1.created);
  EXPECT_EQ(u1.direction, 0);
  auto u2 = t.add(pkt(a.reversed(), 2 * kSec, 120));
  EXPECT_FALSE(u2.created);
  EXPECT_EQ(u2.direction, 1);
  EXPECT_EQ(u1.flow, u2.flow);
  const FlowRecord* r = t.find(a.reversed());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->key, a);  // oriented by the first packet
  EXPECT_EQ(r->dir[0].packets, 1u);
  EXPECT_EQ(r->dir[0].bytes, 70u);
  EXPECT_EQ(r->dir[1].packets, 1u);
  EXPECT_EQ(r->dir[1].bytes, 120u);
  EXPECT_EQ(r->dir[1].first.ns, 2 * kSec);
  EXPECT_EQ(r->first.ns, 1 * kSec);
  EXPECT_EQ(r->last.ns, 2 * kSec);
  EXPECT_EQ(t.size(), 1u);
}

TEST(FlowTable, VlanAndInterfaceSeparateFlows) {
  FlowTable t;
  const FlowKey a = v4(0x0a000001, 1, 0x0a000002, 2);
  FlowPacket p = pkt(a, kSec);
  t.add(p);
  p.vlan = 10;
  EXPECT_TRUE(t.add(p).created);
  p.interface = 3;
  EXPECT_TRUE(t.add(p).created);
  p.key = a.reversed();
  EXPECT_FALSE(t.add(p).created);
  EXPECT_EQ(t.size(), 3u);
  ASSERT_NE(t.find(a, 10, 3), nullptr);
  EXPECT_EQ(t.find(a, 10, 3)->packets(), 2u);
  EXPECT_EQ(t.find(a, 11, 3), nullptr);
}

TEST(FlowTable, IdleTimeoutEndsOnlyIdleFlows) {
  FlowTable t({.max_flows = 16, .idle_timeout_ns = 30 * kSec, .active_timeout_ns = 0});
  Recorder rec;
  rec.attach(t);
  const FlowKey a = v4(1, 1, 2, 2), b = v4(3, 3, 4, 4), c = v4(5, 5, 6, 6);
  t.add(pkt(a, 0));
  t.add(pkt(b, 10 * kSec));
  t.add(pkt(a.reversed(), 20 * kSec));  // a is busy again
  t.add(pkt(c, 45 * kSec));             // b idle for 35 s; a for 25 s
  ASSERT_EQ(rec.ended.size(), 1u);
  EXPECT_EQ(rec.ended[0].key, b);
  EXPECT_EQ(rec.ended[0].reason, FlowEndReason::idle_timeout);
  EXPECT_EQ(t.counters().ended_idle, 1u);
  EXPECT_EQ(t.size(), 2u);
  t.expire(Timestamp{50 * kSec});       // a idle for 30 s now; c for 5 s
  ASSERT_EQ(rec.ended.size(), 2u);
  EXPECT_EQ(rec.ended[1].key, a);
  EXPECT_EQ(rec.ended[1].packets, 2u);
  EXPECT_EQ(t.size(), 1u);
  t.flush();
  ASSERT_EQ(rec.ended.size(), 3u);
  EXPECT_EQ(rec.ended[2].key, c);
  EXPECT_EQ(rec.ended[2].reason, FlowEndReason::flushed);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, ActiveTimeoutReportsAndRestartsCounters) {
  FlowTable t({.max_flows = 16, .idle_timeout_ns = 0, .active_timeout_ns = 5 * kSec});
  Recorder rec;
  rec.attach(t);
  const FlowKey a = v4(1, 1, 2, 2);
  for (int s = 0; s <= 12; ++s) t.add(pkt(a, s * kSec, 10));
  // Reports at t=5 (packets 0..4) and t=10 (packets 5..9); 10, 11, 12 are in the current one.
  ASSERT_EQ(rec.ended.size(), 2u);
  EXPECT_EQ(rec.ended[0].reason, FlowEndReason::active_timeout);
  EXPECT_EQ(rec.ended[0].packets, 5u);
  EXPECT_EQ(rec.ended[1].packets, 5u);
  EXPECT_EQ(rec.ended[0].id, rec.ended[1].id);
  const FlowRecord* r = t.find(a);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->packets(), 3u);
  EXPECT_EQ(r->bytes(), 30u);
  EXPECT_EQ(r->first.ns, 10 * kSec);
  EXPECT_EQ(t.counters().ended_active, 2u);
  EXPECT_EQ(t.counters().flows_created, 1u);
}

TEST(FlowTable, LruBudgetEvictsLeastRecentAndCountsWhatItDropped) {
  FlowTable t({.max_flows = 4, .idle_timeout_ns = 0, .active_timeout_ns = 0});
  Recorder rec;
  rec.attach(t);
  const FlowKey keep = v4(9, 9, 9, 9);
  std::uint64_t expected_packets = 0, expected_bytes = 0;
  for (std::uint32_t i = 0; i < 10; ++i) {
    t.add(pkt(keep, i * kSec, 1));  // the busy flow is always the most recent
    const FlowKey k = v4(100 + i, 1000, 200, 80);
    t.add(pkt(k, i * kSec + 1, 50 + i));
    t.add(pkt(k.reversed(), i * kSec + 2, 50 + i));
  }
  // keep + the 3 most recent of the 10 survive; 7 were evicted, oldest first.
  EXPECT_EQ(t.size(), 4u);
  ASSERT_EQ(rec.ended.size(), 7u);
  for (std::uint32_t i = 0; i < 7; ++i) {
    EXPECT_EQ(rec.ended[i].reason, FlowEndReason::evicted);
    EXPECT_EQ(rec.ended[i].key, v4(100 + i, 1000, 200, 80)) << i;
    EXPECT_EQ(rec.ended[i].packets, 2u);
    expected_packets += 2;
    expected_bytes += 2 * (50 + i);
  }
  EXPECT_EQ(t.counters().evicted, 7u);
  EXPECT_EQ(t.counters().evicted_packets, expected_packets);
  EXPECT_EQ(t.counters().evicted_bytes, expected_bytes);
  ASSERT_NE(t.find(keep), nullptr);
  EXPECT_EQ(t.find(keep)->packets(), 10u);
  EXPECT_EQ(t.find(v4(106, 1000, 200, 80)), nullptr);
  EXPECT_NE(t.find(v4(107, 1000, 200, 80)), nullptr);
}

TEST(FlowTable, TcpHandshakeAndClose) {
  FlowTable t;
  const FlowKey c = v4(1, 40000, 2, 80, 6);
  auto u = t.add(tcp(c, 1, Tcp::kSyn));
  EXPECT_EQ(u.flow->tcp_state, TcpState::syn_sent);
  EXPECT_EQ(t.add(tcp(c.reversed(), 2, Tcp::kSyn | Tcp::kAck, 5000)).flow->tcp_state, TcpState::syn_received);
  EXPECT_EQ(t.add(tcp(c, 3, Tcp::kAck, 1001)).flow->tcp_state, TcpState::established);
  EXPECT_EQ(t.add(tcp(c, 4, Tcp::kAck | Tcp::kPsh, 1001)).flow->tcp_state, TcpState::established);
  EXPECT_EQ(t.add(tcp(c, 5, Tcp::kFin | Tcp::kAck, 1101)).flow->tcp_state, TcpState::closing);
  EXPECT_EQ(t.add(tcp(c.reversed(), 6, Tcp::kFin | Tcp::kAck, 5001)).flow->tcp_state, TcpState::closed);
  const FlowRecord* r = t.find(c);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dir[0].tcp_flags, Tcp::kSyn | Tcp::kAck | Tcp::kPsh | Tcp::kFin);
  EXPECT_EQ(r->dir[1].tcp_flags, Tcp::kSyn | Tcp::kAck | Tcp::kFin);
  EXPECT_EQ(r->dir[0].packets, 4u);
}

TEST(FlowTable, TcpResetAndMidstream) {
  FlowTable t;
  const FlowKey c = v4(1, 40000, 2, 80, 6);
  EXPECT_EQ(t.add(tcp(c, 1, Tcp::kAck | Tcp::kPsh)).flow->tcp_state, TcpState::established);
  EXPECT_EQ(t.add(tcp(c.reversed(), 2, Tcp::kRst)).flow->tcp_state, TcpState::reset);
  EXPECT_EQ(t.add(tcp(c, 3, Tcp::kAck)).flow->tcp_state, TcpState::reset);
}

TEST(FlowTable, SynAckFirstOrientsTowardsTheInitiator) {
  FlowTable t;
  const FlowKey client = v4(1, 40000, 2, 80, 6);
  auto u = t.add(tcp(client.reversed(), 1, Tcp::kSyn | Tcp::kAck));
  EXPECT_EQ(u.direction, 1);
  EXPECT_EQ(u.flow->key, client);
  EXPECT_EQ(u.flow->tcp_state, TcpState::syn_received);
  EXPECT_EQ(t.add(tcp(client, 2, Tcp::kAck)).flow->tcp_state, TcpState::established);
}

TEST(FlowTable, NewSynOnSamePortsStartsANewFlow) {
  FlowTable t;
  Recorder rec;
  rec.attach(t);
  const FlowKey c = v4(1, 40000, 2, 80, 6);
  const auto first_id = t.add(tcp(c, 1, Tcp::kSyn, 1000)).flow->id;
  EXPECT_FALSE(t.add(tcp(c, 2, Tcp::kSyn, 1000)).created);  // a retransmitted SYN
  t.add(tcp(c.reversed(), 3, Tcp::kRst | Tcp::kAck, 0));
  auto u = t.add(tcp(c, 4, Tcp::kSyn, 777777));
  EXPECT_TRUE(u.created);
  EXPECT_NE(u.flow->id, first_id);
  EXPECT_EQ(u.flow->tcp_state, TcpState::syn_sent);
  ASSERT_EQ(rec.ended.size(), 1u);
  EXPECT_EQ(rec.ended[0].reason, FlowEndReason::tcp_reuse);
  EXPECT_EQ(rec.ended[0].packets, 3u);
  EXPECT_EQ(t.counters().ended_tcp_reuse, 1u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(FlowTable, AttributionSurvivesActiveTimeoutAndStartsEmpty) {
  FlowTable t({.max_flows = 2, .idle_timeout_ns = 0, .active_timeout_ns = 5 * kSec});
  const FlowKey a = v4(1, 1, 2, 2);
  auto u = t.add(pkt(a, 0));
  EXPECT_EQ(u.flow->process.quality, pcapxx::AttributionQuality::unknown);
  u.flow->process.pid = 4242;
  u.flow->process.quality = pcapxx::AttributionQuality::exact;
  std::copy_n("curl", 5, u.flow->process.comm.begin());
  u = t.add(pkt(a, 6 * kSec));
  EXPECT_EQ(u.flow->process.pid, 4242);
  EXPECT_EQ(u.flow->process.comm_view(), "curl");
  // A recycled record starts without the old owner.
  t.add(pkt(v4(3, 3, 4, 4), 7 * kSec));
  t.add(pkt(v4(5, 5, 6, 6), 8 * kSec));  // evicts a
  auto fresh = t.add(pkt(v4(7, 7, 8, 8), 9 * kSec));
  EXPECT_EQ(fresh.flow->process.pid, 0);
  EXPECT_EQ(fresh.flow->process.comm_view(), "");
}

// The index under churn (inserts, evictions, idle expiry and deletions shifting probe runs)
// against a model: an LRU list of keys with counts.
TEST(FlowTable, MatchesAModelUnderChurn) {
  constexpr std::size_t kBudget = 97;
  FlowTable t({.max_flows = kBudget, .idle_timeout_ns = 500, .active_timeout_ns = 0});
  std::list<std::pair<std::uint32_t, std::int64_t>> lru;  // host id, last seen; front = oldest
  std::map<std::uint32_t, std::uint64_t> packets;
  std::uint64_t model_evicted = 0, model_idle = 0;
  std::mt19937 rng(12345);
  std::int64_t now = 0;
  for (int i = 0; i < 200'000; ++i) {
    now += rng() % 3;
    // A skewed population: few hot hosts, many cold ones.
    const std::uint32_t host = rng() % 4 == 0 ? rng() % 20 : rng() % 5000;
    while (!lru.empty() && now - lru.front().second >= 500) {
      packets.erase(lru.front().first);
      lru.pop_front();
      ++model_idle;
    }
    auto it = std::find_if(lru.begin(), lru.end(), [&](auto& e) { return e.first == host; });
    if (it != lru.end()) {
      lru.erase(it);
    } else if (lru.size() == kBudget) {
      packets.erase(lru.front().first);
      lru.pop_front();
      ++model_evicted;
    }
    lru.emplace_back(host, now);
    ++packets[host];
    const FlowKey k = v4(host, 7, 0xc0000201, 9);
    t.add(pkt(rng() % 2 ? k : k.reversed(), now));
  }
  EXPECT_EQ(t.size(), lru.size());
  EXPECT_EQ(t.counters().evicted, model_evicted);
  EXPECT_EQ(t.counters().ended_idle, model_idle);
  for (const auto& [host, n] : packets) {
    const FlowRecord* r = t.find(v4(host, 7, 0xc0000201, 9));
    ASSERT_NE(r, nullptr) << host;
    EXPECT_EQ(r->packets(), n) << host;
  }
  std::vector<std::uint32_t> order;
  t.for_each([&](const FlowRecord& r) {
    const FlowKey& k = r.key.src[0] == 0xc0 ? r.key.reversed() : r.key;
    order.push_back(std::uint32_t{k.src[0]} << 24 | std::uint32_t{k.src[1]} << 16 | std::uint32_t{k.src[2]} << 8 |
                    k.src[3]);
  });
  std::vector<std::uint32_t> model_order;
  for (const auto& e : lru) model_order.push_back(e.first);
  EXPECT_EQ(order, model_order);
}

}  // namespace
