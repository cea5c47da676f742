// pxdump --process end to end: a live capture in a namespace prints each packet's process and
// writes it into pcapng (a comment and the custom option); reading the file back shows the
// same, --pid/--comm/--uid select by process, --json carries it, and tshark (the oracle for
// pcapng) reads the comment.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "live/process/lab.hpp"

namespace pcapxx::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

TEST(PxdumpProcess, LiveColumnPcapngRoundTripFiltersAndJson) {
  Lab lab;
  lab.start_peer_services(2 * kServiceMs);
  std::string dir = fmt::format("/tmp/pxproc{}", ::getpid());
  must(fmt::format("mkdir -p {}", dir));
  std::string pxdump = std::string(PCAPXX_BIN_DIR) + "/pxdump";
  std::string file = dir + "/attributed.pcapng";
  // pxdump runs inside the capture namespace for 3 s; "done" appears when it has exited.
  must(fmt::format("({} >{}/live.txt 2>{}/live.err; echo $? >{}/done) &",
                   lab.link().capture_ns().exec_command(fmt::format(
                       "timeout -s INT 3 {} -i {} --process --immediate-mode -w {} --print -nn", pxdump,
                       lab.link().capture_if(), file)),
                   dir, dir, dir));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  pid_t tcp = lab.spawn({"tcp", kPeerV4, "7000", "32001"});
  pid_t udp = lab.spawn({"udpc", kPeerV6, "7001", "32002", "3", "20"});
  EXPECT_EQ(lab.wait(tcp), 0);
  EXPECT_EQ(lab.wait(udp), 0);
  for (int i = 0; i < 100 && ::access((dir + "/done").c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::access((dir + "/done").c_str(), F_OK), 0) << "pxdump did not stop";
  std::string live = slurp(dir + "/live.txt");
  std::string err = slurp(dir + "/live.err");
  auto tcp_lines = lines_with(live, ".32001");
  auto udp_lines = lines_with(live, ".32002");
  ASSERT_GE(tcp_lines.size(), 8u) << live << err;
  ASSERT_EQ(udp_lines.size(), 3u) << live << err;
  std::string tcp_col = fmt::format("[pid {} uid 0 comm proc_peer netns", tcp);
  std::string udp_col = fmt::format("[pid {} uid 0 comm proc_peer netns", udp);
  for (const auto& l : tcp_lines) EXPECT_NE(l.find(tcp_col), std::string::npos) << l;
  for (const auto& l : udp_lines) EXPECT_NE(l.find(udp_col), std::string::npos) << l;
  EXPECT_NE(live.find("(exact)]"), std::string::npos);
  EXPECT_NE(err.find("process attribution:"), std::string::npos) << err;

  // Read back: the same column, from the custom option.
  std::string back = shell_output(fmt::format("{} -r {} --process -nn 2>&1", pxdump, file));
  auto back_tcp = lines_with(back, ".32001");
  ASSERT_EQ(back_tcp.size(), tcp_lines.size()) << back;
  for (const auto& l : back_tcp) EXPECT_NE(l.find(tcp_col), std::string::npos) << l;

  // Filters after attribution.
  std::string by_pid = shell_output(fmt::format("{} -r {} --pid {} -nn 2>/dev/null", pxdump, file, udp));
  EXPECT_EQ(lines_with(by_pid, ".32002").size(), 3u) << by_pid;
  EXPECT_EQ(lines_with(by_pid, ".32001").size(), 0u) << by_pid;
  std::string by_comm = shell_output(fmt::format("{} -r {} --comm proc_peer -nn 2>/dev/null", pxdump, file));
  EXPECT_EQ(lines_with(by_comm, ".3200").size(), tcp_lines.size() + 3) << by_comm;
  std::string by_uid = shell_output(fmt::format("{} -r {} --uid 4242 -nn 2>/dev/null", pxdump, file));
  EXPECT_EQ(lines_with(by_uid, ".3200").size(), 0u) << by_uid;

  // JSON.
  std::string json = shell_output(fmt::format("{} -r {} --json --pid {} 2>/dev/null", pxdump, file, udp));
  auto objects = lines_with(json, R"("process":{"quality":"exact")");
  EXPECT_EQ(objects.size(), 3u) << json;
  for (const auto& o : objects) EXPECT_NE(o.find(fmt::format(R"("pid":{},)", udp)), std::string::npos) << o;

  // The oracle reads our comment on every packet of the flow.
  std::string comments = shell_output(fmt::format(
      "tshark -r {} -Y 'tcp.port == 32001' -T fields -e frame.comment 2>/dev/null", file));
  auto commented = lines_with(comments, fmt::format("pid {} uid 0 comm proc_peer", tcp));
  EXPECT_EQ(commented.size(), tcp_lines.size()) << "tshark:\n" << comments;
  shell(fmt::format("rm -rf {}", dir));
}

}  // namespace
}  // namespace pcapxx::test
