#include "process/linux/connect_trace.hpp"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

namespace pcapxx::detail::process {
namespace {

// include/net/tcp_states.h
constexpr std::int32_t kTcpSynSent = 2;
// Data pages per CPU (a power of two): 512 (2 MiB with 4 KiB pages) hold ~10,000 connections'
// samples (~100 bytes each, two per connection) between two drains; 128 lost ~3 % at 25,000
// connections/s on a loaded 2-core VM.
constexpr std::size_t kRingPages = 512;
constexpr std::uint32_t kMaxFieldEnd = 4096;

constexpr const char* kTracefs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
constexpr const char* kEvent = "events/sock/inet_sock_set_state";

bool read_text(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  out.clear();
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) break;
  }
  ::close(fd);
  return true;
}

/// The number after `key` (up to ';' or the end of the line) in `line`.
std::optional<std::uint32_t> number_after(std::string_view line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto v = line.substr(at + key.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  std::uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p == v.data()) return std::nullopt;
  return n;
}

template <class T>
T load(std::span<const std::byte> raw, TracepointLayout::Field f) {
  T v{};
  std::memcpy(&v, raw.data() + f.offset, sizeof v);
  return v;
}

}  // namespace

Result<TracepointLayout> parse_tracepoint_format(std::string_view text) {
  TracepointLayout l;
  struct Want {
    std::string_view name;
    TracepointLayout::Field* field;
    std::uint32_t size;  // 0: 4 or 8 (a pointer)
    bool seen = false;
  };
  Want want[] = {{"skaddr", &l.skaddr, 0},     {"oldstate", &l.oldstate, 4}, {"newstate", &l.newstate, 4},
                 {"sport", &l.sport, 2},       {"dport", &l.dport, 2},       {"family", &l.family, 2},
                 {"protocol", &l.protocol, 2}, {"saddr", &l.saddr, 4},       {"daddr", &l.daddr, 4},
                 {"saddr_v6", &l.saddr_v6, 16}, {"daddr_v6", &l.daddr_v6, 16}};
  bool have_id = false;
  std::size_t line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.starts_with("ID:")) {
      auto id = number_after(line, "ID:");
      if (!id) return fail(Errc::format, fmt::format("tracepoint format line {}: malformed ID", line_no));
      l.id = *id;
      have_id = true;
      continue;
    }
    auto f = line.find("field:");
    if (f == std::string_view::npos) continue;
    auto decl = line.substr(f + 6);
    decl = decl.substr(0, decl.find(';'));
    // "const void * skaddr", "__u8 saddr[4]": the name is the last word, without its extent.
    if (auto br = decl.find('['); br != std::string_view::npos) decl = decl.substr(0, br);
    while (!decl.empty() && decl.back() == ' ') decl.remove_suffix(1);
    auto sp = decl.find_last_of(" *");
    std::string_view name = sp == std::string_view::npos ? decl : decl.substr(sp + 1);
    for (Want& w : want) {
      if (w.name != name) continue;
      auto off = number_after(line, "offset:");
      auto size = number_after(line, "size:");
      if (!off || !size)
        return fail(Errc::format, fmt::format("tracepoint format line {}: field {} without offset or size", line_no, name));
      bool size_ok = w.size == 0 ? (*size == 4 || *size == 8) : *size == w.size;
      if (!size_ok || *off > kMaxFieldEnd - *size)
        return fail(Errc::format, fmt::format("tracepoint format line {}: field {} has offset {} size {}", line_no,
                                              name, *off, *size));
      *w.field = {*off, *size};
      w.seen = true;
    }
  }
  if (!have_id) return fail(Errc::format, "tracepoint format: no ID line");
  for (const Want& w : want)
    if (!w.seen) return fail(Errc::format, fmt::format("tracepoint format: no field {}", w.name));
  return l;
}

std::optional<StateChange> decode_state_change(std::span<const std::byte> raw, const TracepointLayout& l) noexcept {
  for (auto f : {l.skaddr, l.oldstate, l.newstate, l.sport, l.dport, l.family, l.protocol, l.saddr, l.daddr,
                 l.saddr_v6, l.daddr_v6})
    if (static_cast<std::size_t>(f.offset) + f.size > raw.size()) return std::nullopt;
  StateChange c;
  c.sk = l.skaddr.size == 8 ? load<std::uint64_t>(raw, l.skaddr) : load<std::uint32_t>(raw, l.skaddr);
  c.oldstate = load<std::int32_t>(raw, l.oldstate);
  c.newstate = load<std::int32_t>(raw, l.newstate);
  c.sport = load<std::uint16_t>(raw, l.sport);  // the tracepoint stores ports in host order
  c.dport = load<std::uint16_t>(raw, l.dport);
  c.family = load<std::uint16_t>(raw, l.family);
  c.protocol = load<std::uint16_t>(raw, l.protocol);
  if (c.family == AF_INET) {
    std::memcpy(c.saddr.data(), raw.data() + l.saddr.offset, 4);
    std::memcpy(c.daddr.data(), raw.data() + l.daddr.offset, 4);
  } else {
    std::memcpy(c.saddr.data(), raw.data() + l.saddr_v6.offset, 16);
    std::memcpy(c.daddr.data(), raw.data() + l.daddr_v6.offset, 16);
  }
  return c;
}

Result<ConnectTrace> ConnectTrace::open() {
  std::string text;
  std::string tried;
  bool found = false;
  for (const char* root : kTracefs) {
    if (read_text(fmt::format("{}/{}/format", root, kEvent), text)) {
      found = true;
      break;
    }
    tried += tried.empty() ? root : std::string(", ") + root;
  }
  if (!found)
    return fail(Errc::not_found, fmt::format("process attribution: connect tracing: no {}/format under {} "
                                             "(tracefs not mounted, or not readable)",
                                             kEvent, tried));
  auto layout = parse_tracepoint_format(text);
  if (!layout) return std::unexpected(layout.error());

  ConnectTrace t;
  t.layout_ = *layout;
  long page = ::sysconf(_SC_PAGESIZE);
  long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
  for (long cpu = 0; cpu < cpus; ++cpu) {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = layout->id;
    attr.sample_period = 1;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
    attr.disabled = 1;
    attr.comm = 1;
    attr.comm_exec = 1;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;  // the proc connector's and steady_clock's clock
    int fd = static_cast<int>(::syscall(SYS_perf_event_open, &attr, -1, static_cast<int>(cpu), -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      if (errno == ENODEV) continue;  // an offline CPU
      int err = errno;
      return fail_errno(err, fmt::format("process attribution: connect tracing: perf_event_open(sock:inet_sock_set_state, "
                                         "cpu {}){}",
                                         cpu, err == EACCES || err == EPERM ? " (needs CAP_PERFMON)" : ""));
    }
    Ring r;
    r.fd = fd;
    r.length = static_cast<std::size_t>(page) * (1 + kRingPages);
    r.base = ::mmap(nullptr, r.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (r.base == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return fail_errno(err, fmt::format("process attribution: connect tracing: mmap of cpu {}'s ring", cpu));
    }
    t.rings_.push_back(r);
    // Only SYN_SENT changes reach the ring; the rest is dropped in the kernel. Without the
    // filter everything arrives and is dropped here.
    t.filtered_ = ::ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "newstate == 2 || oldstate == 2") == 0;
  }
  if (t.rings_.empty()) return fail(Errc::not_found, "process attribution: connect tracing: no online CPU");
  for (Ring& r : t.rings_)
    if (::ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
      return fail_errno(errno, "process attribution: connect tracing: PERF_EVENT_IOC_ENABLE");
  return t;
}

ConnectTrace::ConnectTrace(ConnectTrace&& o) noexcept
    : layout_(o.layout_), rings_(std::move(o.rings_)), record_(std::move(o.record_)), filtered_(o.filtered_) {
  o.rings_.clear();
}

ConnectTrace::~ConnectTrace() {
  for (Ring& r : rings_) {
    if (r.base != nullptr && r.base != MAP_FAILED) ::munmap(r.base, r.length);
    if (r.fd >= 0) ::close(r.fd);
  }
}

void ConnectTrace::drain(std::vector<TraceEvent>& out) {
  for (Ring& r : rings_) drain_ring(r, out);
}

void ConnectTrace::drain_ring(Ring& r, std::vector<TraceEvent>& out) {
  auto* meta = static_cast<perf_event_mmap_page*>(r.base);
  std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  std::uint64_t tail = meta->data_tail;
  if (head == tail) return;
  const auto* data = static_cast<const std::byte*>(r.base) + meta->data_offset;
  std::uint64_t size = meta->data_size;
  while (tail + sizeof(perf_event_header) <= head) {
    perf_event_header h;
    std::size_t at = static_cast<std::size_t>(tail % size);
    // Records are 8-byte aligned and the ring a power of two: a header never wraps.
    std::memcpy(&h, data + at, sizeof h);
    if (h.size < sizeof h) {
      tail = head;  // not a record boundary: drop what is there rather than stall
      break;
    }
    if (tail + h.size > head) break;
    std::span<const std::byte> rec;
    if (at + h.size <= size) {
      rec = {data + at, h.size};
    } else {
      record_.resize(h.size);
      std::size_t first = static_cast<std::size_t>(size) - at;
      std::memcpy(record_.data(), data + at, first);
      std::memcpy(record_.data() + first, data, h.size - first);
      rec = record_;
    }
    tail += h.size;
    auto body = rec.subspan(sizeof h);
    auto u32 = [&](std::size_t off) {
      std::uint32_t v;
      std::memcpy(&v, body.data() + off, 4);
      return v;
    };
    if (h.type == PERF_RECORD_SAMPLE && body.size() >= 20) {
      // PERF_SAMPLE_TID, PERF_SAMPLE_TIME, PERF_SAMPLE_RAW, in that order (perf_event.h).
      TraceEvent ev;
      ev.pid = static_cast<std::int32_t>(u32(0));
      ev.tid = static_cast<std::int32_t>(u32(4));
      std::memcpy(&ev.time_ns, body.data() + 8, 8);
      std::uint32_t raw_size = u32(16);
      if (raw_size > body.size() - 20) continue;
      auto c = decode_state_change(body.subspan(20, raw_size), layout_);
      if (!c || c->protocol != IPPROTO_TCP) continue;
      ev.change = *c;
      if (c->newstate == kTcpSynSent) {
        ev.kind = TraceEvent::Kind::connect;  // inside connect(): the caller is the owner
      } else if (c->oldstate == kTcpSynSent) {
        ev.kind = TraceEvent::Kind::resolved;  // in softirq: pid is whoever ran, not the owner
        ev.pid = ev.tid = 0;
      } else {
        continue;
      }
      out.push_back(ev);
    } else if (h.type == PERF_RECORD_COMM && body.size() > 8) {
      TraceEvent ev;
      ev.kind = TraceEvent::Kind::comm;
      ev.pid = static_cast<std::int32_t>(u32(0));
      ev.tid = static_cast<std::int32_t>(u32(4));
      // A thread renaming itself (prctl) is not a new image.
      if (ev.pid != ev.tid && !(h.misc & PERF_RECORD_MISC_COMM_EXEC)) continue;
      std::size_t n = std::min<std::size_t>(body.size() - 8, ev.comm.size() - 1);
      std::memcpy(ev.comm.data(), body.data() + 8, n);
      ev.comm[ev.comm.size() - 1] = '\0';
      out.push_back(ev);
    } else if (h.type == PERF_RECORD_LOST && body.size() >= 16) {
      TraceEvent ev;
      ev.kind = TraceEvent::Kind::lost;
      std::memcpy(&ev.lost, body.data() + 8, 8);
      out.push_back(ev);
    }
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

}  // namespace pcapxx::detail::process
